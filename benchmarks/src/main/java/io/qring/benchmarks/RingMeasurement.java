package io.qring.benchmarks;

import io.qring.allreduce.LocalRing;
import io.qring.allreduce.ReduceOp;
import io.qring.allreduce.RingAllReduce;
import io.qring.allreduce.config.RingContext;
import io.qring.channel.ledger.LedgerSnapshot;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Times consecutive float all-reduces of one ring running in this process (one rank per thread):
 * warm-up operations first, then timed ones. An operation's time is the longest any rank spent in its
 * {@code allReduce} call.
 *
 * @param timesNs     time of each timed operation, ns, in run order.
 * @param chunkLength the chunk the ring moved data in, bytes (after any link wrapper's limit).
 * @param link01      ledger of directed link 0→1 over the last operation, both endpoints merged.
 */
record RingMeasurement(long[] timesNs, int chunkLength, LedgerSnapshot link01)
{
    /** Longest a whole warm-up or timed series may take. */
    static final long SERIES_TIMEOUT_NS = TimeUnit.MINUTES.toNanos(30);

    /**
     * Starts a ring from {@code template}, runs {@code warmUp} then {@code repetitions} AVERAGE all-reduces
     * of {@code elements} floats per rank (AVERAGE keeps repeated results finite) and closes it.
     *
     * @param template    settings of every rank (world size, transport, links).
     * @param elements    floats per rank.
     * @param warmUp      untimed operations first.
     * @param repetitions timed operations.
     * @return the times, chunk length and link 0→1 ledger.
     */
    static RingMeasurement measure(final RingContext template, final int elements, final int warmUp, final int repetitions)
    {
        try (LocalRing ring = LocalRing.start(template))
        {
            final float[][] data = inputs(ring.worldSize(), elements);
            for (int i = 0; i < warmUp; i++)
            {
                ring.run(rank -> timedAllReduce(rank, data[rank.rank()]), SERIES_TIMEOUT_NS);
            }
            final long[] times = new long[repetitions];
            for (int i = 0; i < repetitions; i++)
            {
                final List<Long> perRank = ring.run(rank -> timedAllReduce(rank, data[rank.rank()]), SERIES_TIMEOUT_NS);
                times[i] = perRank.stream().mapToLong(Long::longValue).max().orElseThrow();
            }
            final List<LedgerSnapshot> link01 = new ArrayList<>();
            for (final RingAllReduce rank : ring.ranks())
            {
                rank.lastOperationLedgers().stream().filter(s -> "0->1".equals(s.link())).forEach(link01::add);
            }
            return new RingMeasurement(times, ring.rank(0).chunkLength(), LedgerSnapshot.merge("0->1", link01));
        }
    }

    /** @return the median operation time, ns (the mean of the middle two for an even count). */
    long medianNs()
    {
        final long[] sorted = timesNs.clone();
        Arrays.sort(sorted);
        final int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /** @return the fastest operation time, ns. */
    long minNs()
    {
        return Arrays.stream(timesNs).min().orElseThrow();
    }

    private static long timedAllReduce(final RingAllReduce rank, final float[] values)
    {
        final long start = System.nanoTime();
        rank.allReduce(values, ReduceOp.AVERAGE);
        return System.nanoTime() - start;
    }

    private static float[][] inputs(final int worldSize, final int elements)
    {
        final float[][] data = new float[worldSize][elements];
        for (int r = 0; r < worldSize; r++)
        {
            final SplittableRandom random = new SplittableRandom(1_000_003L * r + 17);
            for (int i = 0; i < elements; i++)
            {
                data[r][i] = (float)random.nextGaussian();
            }
        }
        return data;
    }
}
