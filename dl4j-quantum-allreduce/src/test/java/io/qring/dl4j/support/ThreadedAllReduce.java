package io.qring.dl4j.support;

import io.qring.allreduce.AllReduce;
import io.qring.allreduce.ReduceOp;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Test-scope {@link AllReduce} for ranks that are threads of one JVM: every collective is a rendezvous
 * on a {@link CyclicBarrier} with a deadline; sums are formed in rank order 0, 1, …, N−1 so every rank
 * gets the same bits. Reports length and type mismatches on every rank, like the real ring.
 */
public final class ThreadedAllReduce implements AllReduce
{
    private final Group group;
    private final int rank;
    private final AtomicLong allReduceCalls = new AtomicLong();
    private final AtomicLong allGatherCalls = new AtomicLong();
    private volatile boolean closed;

    private ThreadedAllReduce(final Group group, final int rank)
    {
        this.group = group;
        this.rank = rank;
    }

    /**
     * @param worldSize number of ranks.
     * @param timeout   longest any rank waits for the others in one collective.
     * @return one endpoint per rank, indexed by rank.
     */
    public static List<ThreadedAllReduce> ring(final int worldSize, final Duration timeout)
    {
        final Group group = new Group(worldSize, timeout.toNanos());
        final List<ThreadedAllReduce> endpoints = new ArrayList<>(worldSize);
        for (int r = 0; r < worldSize; r++)
        {
            endpoints.add(new ThreadedAllReduce(group, r));
        }
        return endpoints;
    }

    @Override
    public int rank()
    {
        return rank;
    }

    @Override
    public int worldSize()
    {
        return group.slots.length;
    }

    /** @return how many float/double all-reduces this rank has completed or started. */
    public long allReduceCalls()
    {
        return allReduceCalls.get();
    }

    /** @return how many all-gathers this rank has completed or started. */
    public long allGatherCalls()
    {
        return allGatherCalls.get();
    }

    @Override
    public void allReduce(final float[] data, final ReduceOp op)
    {
        allReduceCalls.incrementAndGet();
        final float[] result = exchange(data.clone(), all ->
        {
            final float[] sum = new float[data.length];
            for (final Object contribution : all)
            {
                final float[] values = (float[])contribution;
                for (int i = 0; i < sum.length; i++)
                {
                    sum[i] += values[i];
                }
            }
            if (op == ReduceOp.AVERAGE)
            {
                for (int i = 0; i < sum.length; i++)
                {
                    sum[i] /= all.length;
                }
            }
            return sum;
        });
        System.arraycopy(result, 0, data, 0, data.length);
    }

    @Override
    public void allReduce(final double[] data, final ReduceOp op)
    {
        allReduceCalls.incrementAndGet();
        final double[] result = exchange(data.clone(), all ->
        {
            final double[] sum = new double[data.length];
            for (final Object contribution : all)
            {
                final double[] values = (double[])contribution;
                for (int i = 0; i < sum.length; i++)
                {
                    sum[i] += values[i];
                }
            }
            if (op == ReduceOp.AVERAGE)
            {
                for (int i = 0; i < sum.length; i++)
                {
                    sum[i] /= all.length;
                }
            }
            return sum;
        });
        System.arraycopy(result, 0, data, 0, data.length);
    }

    @Override
    public byte[][] allGather(final byte[] local)
    {
        allGatherCalls.incrementAndGet();
        return exchange(local.clone(), all ->
        {
            final byte[][] copies = new byte[all.length][];
            for (int r = 0; r < all.length; r++)
            {
                copies[r] = ((byte[])all[r]).clone();
            }
            return copies;
        });
    }

    @Override
    public void close()
    {
        closed = true;
    }

    private <C, T> T exchange(final C contribution, final Function<Object[], T> combine)
    {
        if (closed)
        {
            throw new IllegalStateException("rank " + rank + ": all-reduce is closed");
        }
        group.slots[rank] = contribution;
        group.await(rank);
        final Object[] all = group.slots.clone();
        checkAlike(all, contribution);
        final T result = combine.apply(all);
        group.await(rank);
        return result;
    }

    private void checkAlike(final Object[] all, final Object mine)
    {
        final StringBuilder ranks = new StringBuilder();
        boolean alike = true;
        for (int r = 0; r < all.length; r++)
        {
            alike &= all[r].getClass() == mine.getClass() && length(all[r]) == length(mine);
            ranks.append(r == 0 ? "" : ", ").append("rank ").append(r).append(": ")
                .append(all[r].getClass().getSimpleName()).append(" of ").append(length(all[r]));
        }
        if (!alike)
        {
            throw new IllegalStateException("collective mismatch (" + ranks + ")");
        }
    }

    private static int length(final Object array)
    {
        return java.lang.reflect.Array.getLength(array);
    }

    private static final class Group
    {
        private final Object[] slots;
        private final CyclicBarrier barrier;
        private final long timeoutNs;

        Group(final int worldSize, final long timeoutNs)
        {
            this.slots = new Object[worldSize];
            this.barrier = new CyclicBarrier(worldSize);
            this.timeoutNs = timeoutNs;
        }

        void await(final int rank)
        {
            try
            {
                barrier.await(timeoutNs, TimeUnit.NANOSECONDS);
            }
            catch (final TimeoutException ex)
            {
                throw new IllegalStateException("rank " + rank + ": peers did not arrive within " +
                    TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms", ex);
            }
            catch (final BrokenBarrierException ex)
            {
                throw new IllegalStateException("rank " + rank + ": a peer failed or timed out", ex);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("rank " + rank + ": interrupted", ex);
            }
        }
    }
}
