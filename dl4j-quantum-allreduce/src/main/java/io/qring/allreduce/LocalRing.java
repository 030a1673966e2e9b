package io.qring.allreduce;

import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import io.qring.allreduce.link.FrameHeaderFlyweight;
import io.qring.allreduce.link.InMemoryNetwork;
import org.agrona.CloseHelper;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A whole ring inside this JVM, one rank per thread: for tests, samples and single-machine launchers.
 * Works over {@link TransportKind#IN_MEMORY}, {@link TransportKind#IPC} (one shared embedded driver)
 * and {@link TransportKind#UDP} (every rank binds {@code localhost:0}, then the ranks exchange the ports
 * they got). Missing settings are filled in: a random shared secret, an in-memory network, and for
 * the default stream id base a fresh range per local ring, so rings in one process never share streams.
 */
public final class LocalRing implements AutoCloseable
{
    private static final AtomicInteger NEXT_STREAM_ID_BASE = new AtomicInteger(RingContext.DEFAULT_STREAM_ID_BASE);
    private static final long START_MARGIN_NS = TimeUnit.SECONDS.toNanos(5);
    /** Marks a rank's hand-off once {@link #start} has given up on the ring. */
    private static final Object ABANDONED = new Object();

    private final List<RingAllReduce> ranks;
    private final ExecutorService executor;

    private LocalRing(final List<RingAllReduce> ranks, final ExecutorService executor)
    {
        this.ranks = ranks;
        this.executor = executor;
    }

    /**
     * Starts {@code template.worldSize()} ranks, connecting them concurrently.
     *
     * @param template settings shared by every rank (rank and, for UDP, peers are set per rank).
     * @return the running ring.
     * @throws IllegalStateException wrapping the first rank's failure to connect.
     */
    public static LocalRing start(final RingContext template)
    {
        final int worldSize = template.worldSize();
        if (worldSize < 2)
        {
            throw new IllegalArgumentException("a ring needs at least 2 ranks, got " + worldSize);
        }
        final RingContext shared = template.copy();
        if (null == shared.sharedSecret())
        {
            final byte[] secret = new byte[32];
            new SecureRandom().nextBytes(secret);
            shared.sharedSecret(secret);
        }
        if (TransportKind.IN_MEMORY == shared.transport() && null == shared.inMemoryNetwork())
        {
            shared.inMemoryNetwork(new InMemoryNetwork(worldSize, shared.chunkLength() + FrameHeaderFlyweight.HEADER_LENGTH,
                InMemoryNetwork.DEFAULT_QUEUE_CAPACITY));
        }
        if (RingContext.DEFAULT_STREAM_ID_BASE == shared.streamIdBase())
        {
            shared.streamIdBase(NEXT_STREAM_ID_BASE.getAndAdd(2 * worldSize));
        }
        if (TransportKind.UDP == shared.transport() && shared.peers().isEmpty())
        {
            shared.peers(Collections.nCopies(worldSize, "localhost:0"));
        }
        final ExecutorService executor = Executors.newFixedThreadPool(worldSize, new RankThreadFactory());
        final List<Ring.BoundRank> bound = new ArrayList<>(worldSize);
        try
        {
            for (int r = 0; r < worldSize; r++)
            {
                bound.add(Ring.bind(shared.copy().rank(r).conclude()));
            }
            final List<String> endpoints = new ArrayList<>(worldSize);
            for (final Ring.BoundRank rank : bound)
            {
                endpoints.add(rank.localEndpoint());
            }
            final List<AtomicReference<Object>> handOffs = new ArrayList<>(worldSize);
            final List<Future<RingAllReduce>> futures = new ArrayList<>(worldSize);
            for (final Ring.BoundRank rank : bound)
            {
                final AtomicReference<Object> handOff = new AtomicReference<>();
                handOffs.add(handOff);
                futures.add(executor.submit(() -> handOver(rank.connect(endpoints), handOff)));
            }
            final List<RingAllReduce> ranks = new ArrayList<>(worldSize);
            RuntimeException firstFailure = null;
            final long start = System.nanoTime();
            final long budgetNs = shared.connectTimeoutNs() > Long.MAX_VALUE - START_MARGIN_NS ?
                Long.MAX_VALUE : shared.connectTimeoutNs() + START_MARGIN_NS;
            for (int r = 0; r < worldSize && null == firstFailure; r++)
            {
                try
                {
                    ranks.add(futures.get(r).get(Math.max(0, budgetNs - (System.nanoTime() - start)), TimeUnit.NANOSECONDS));
                }
                catch (final ExecutionException ex)
                {
                    firstFailure = new IllegalStateException("rank " + r + " of a local " + shared.transport() +
                        " ring failed to connect: " + ex.getCause(), ex.getCause());
                }
                catch (final TimeoutException ex)
                {
                    firstFailure = new IllegalStateException("rank " + r + " of a local " + shared.transport() +
                        " ring did not connect within " + TimeUnit.NANOSECONDS.toMillis(budgetNs) +
                        " ms (connect timeout plus " + TimeUnit.NANOSECONDS.toMillis(START_MARGIN_NS) + " ms)", ex);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    firstFailure = new IllegalStateException("interrupted while starting a local ring", ex);
                }
            }
            if (null != firstFailure)
            {
                for (final AtomicReference<Object> handOff : handOffs)
                {
                    if (handOff.getAndSet(ABANDONED) instanceof RingAllReduce connected)
                    {
                        CloseHelper.quietClose(connected);
                    }
                }
                throw firstFailure;
            }
            return new LocalRing(List.copyOf(ranks), executor);
        }
        catch (final RuntimeException ex)
        {
            bound.forEach(CloseHelper::quietClose);
            executor.shutdownNow();
            throw ex;
        }
    }

    /**
     * Leaves a rank that has connected where {@link #start} collects it, or closes it if the start was
     * abandoned (another rank failed or timed out) before it connected, so no late rank stays open.
     */
    private static RingAllReduce handOver(final RingAllReduce connected, final AtomicReference<Object> handOff)
    {
        if (!handOff.compareAndSet(null, connected))
        {
            CloseHelper.quietClose(connected);
            throw new IllegalStateException("the local ring's start was abandoned before this rank connected; closed it");
        }
        return connected;
    }

    /** @return number of ranks. */
    public int worldSize()
    {
        return ranks.size();
    }

    /**
     * @param rank a rank.
     * @return its all-reduce.
     */
    public RingAllReduce rank(final int rank)
    {
        return ranks.get(rank);
    }

    /** @return every rank's all-reduce, in rank order. */
    public List<RingAllReduce> ranks()
    {
        return ranks;
    }

    /**
     * Runs {@code task} on every rank at once, each on its own thread, and waits for all.
     *
     * @param task      what each rank does.
     * @param timeoutNs how long to wait for all ranks together.
     * @param <T>       result type.
     * @return results in rank order.
     * @throws IllegalStateException wrapping the lowest failing rank's exception.
     */
    public <T> List<T> run(final RankTask<T> task, final long timeoutNs)
    {
        final List<Outcome<T>> outcomes = runEach(task, timeoutNs);
        final List<T> values = new ArrayList<>(outcomes.size());
        for (final Outcome<T> outcome : outcomes)
        {
            if (null != outcome.failure())
            {
                throw new IllegalStateException("rank " + outcome.rank() + " failed: " + outcome.failure().getMessage(),
                    outcome.failure());
            }
            values.add(outcome.value());
        }
        return values;
    }

    /**
     * Runs {@code task} on every rank at once and reports each rank's outcome, failures included.
     *
     * @param task      what each rank does.
     * @param timeoutNs how long to wait for all ranks together; a rank still running then reports a
     *                  {@link TimeoutException}.
     * @param <T>       result type.
     * @return outcomes in rank order.
     */
    public <T> List<Outcome<T>> runEach(final RankTask<T> task, final long timeoutNs)
    {
        final long start = System.nanoTime();
        final List<Future<Outcome<T>>> futures = new ArrayList<>(ranks.size());
        for (final RingAllReduce rank : ranks)
        {
            futures.add(executor.submit(() ->
            {
                final long began = System.nanoTime();
                try
                {
                    return new Outcome<>(rank.rank(), task.run(rank), null, System.nanoTime() - began);
                }
                catch (final Exception | AssertionError ex)
                {
                    return new Outcome<T>(rank.rank(), null, ex, System.nanoTime() - began);
                }
            }));
        }
        final List<Outcome<T>> outcomes = new ArrayList<>(ranks.size());
        for (int r = 0; r < futures.size(); r++)
        {
            try
            {
                outcomes.add(futures.get(r).get(Math.max(0, start + timeoutNs - System.nanoTime()), TimeUnit.NANOSECONDS));
            }
            catch (final TimeoutException ex)
            {
                outcomes.add(new Outcome<>(r, null, ex, System.nanoTime() - start));
            }
            catch (final ExecutionException ex)
            {
                outcomes.add(new Outcome<>(r, null, ex.getCause(), System.nanoTime() - start));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                outcomes.add(new Outcome<>(r, null, ex, System.nanoTime() - start));
            }
        }
        return outcomes;
    }

    /** Closes every rank (and so the shared embedded driver when it was the last user) and stops the threads. */
    @Override
    public void close()
    {
        ranks.forEach(CloseHelper::quietClose);
        executor.shutdownNow();
    }

    /**
     * Work one rank does in {@link #run} or {@link #runEach}.
     *
     * @param <T> result type.
     */
    @FunctionalInterface
    public interface RankTask<T>
    {
        /**
         * @param rank the rank's all-reduce.
         * @return the rank's result.
         * @throws Exception on failure.
         */
        T run(RingAllReduce rank) throws Exception;
    }

    /**
     * What one rank's task produced.
     *
     * @param rank      the rank.
     * @param value     its result, or {@code null} on failure.
     * @param failure   what it threw, or {@code null}.
     * @param elapsedNs how long it ran.
     * @param <T>       result type.
     */
    public record Outcome<T>(int rank, T value, Throwable failure, long elapsedNs)
    {
    }

    private static final class RankThreadFactory implements java.util.concurrent.ThreadFactory
    {
        private final AtomicInteger count = new AtomicInteger();

        @Override
        public Thread newThread(final Runnable runnable)
        {
            final Thread thread = new Thread(runnable, "qring-local-rank-" + count.getAndIncrement());
            thread.setDaemon(true);
            return thread;
        }
    }
}
