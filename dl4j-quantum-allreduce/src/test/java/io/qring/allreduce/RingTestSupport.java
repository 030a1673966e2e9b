package io.qring.allreduce;

import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;
import io.qring.channel.ledger.LinkLedger;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Inputs, references and assertions shared by the ring tests (the ring context also by the quantum link's). */
public final class RingTestSupport
{
    static final long RUN_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);
    static final double FLOAT_UNIT_ROUNDOFF = 0x1.0p-24;
    static final double DOUBLE_UNIT_ROUNDOFF = 0x1.0p-53;

    private RingTestSupport()
    {
    }

    /**
     * @param transport  transport of the ring.
     * @param worldSize  ranks.
     * @return a ring context with 16 KiB chunks, 256 KiB terms and short timeouts.
     */
    public static RingContext context(final TransportKind transport, final int worldSize)
    {
        return new RingContext()
            .transport(transport)
            .worldSize(worldSize)
            .chunkLength(16 * 1024)
            .termLength(256 * 1024)
            .connectTimeoutNs(TimeUnit.SECONDS.toNanos(10))
            .operationTimeoutNs(TimeUnit.SECONDS.toNanos(10))
            .driverLivenessTimeoutNs(TimeUnit.SECONDS.toNanos(2));
    }

    /**
     * A link's ledger whose counters all differ (counter k holds {@code base·(k + 1)}), so a counter read or
     * written in another's place shows.
     *
     * @param link     the link name.
     * @param base     the first counter's value, &gt; 0.
     * @param capacity its capacity in bits per qubit.
     * @return the snapshot.
     */
    static LedgerSnapshot distinctSnapshot(final String link, final long base, final double capacity)
    {
        final LinkLedger ledger = new LinkLedger(link);
        for (final LedgerCounter counter : LedgerCounter.values())
        {
            ledger.add(counter, base * (counter.ordinal() + 1));
        }
        ledger.capacityBitsPerQubit(capacity);
        return ledger.snapshot();
    }

    /** Values of mixed sign and magnitude (so rounding differs by summation order); fixed per seed and rank. */
    static float[] floats(final long seed, final int rank, final int length)
    {
        final SplittableRandom random = new SplittableRandom(seed * 1_000_003L + rank);
        final float[] values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)((random.nextDouble() - 0.5) * Math.scalb(1.0, random.nextInt(-8, 9)));
        }
        return values;
    }

    static double[] doubles(final long seed, final int rank, final int length)
    {
        final SplittableRandom random = new SplittableRandom(seed * 1_000_003L + rank);
        final double[] values = new double[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (random.nextDouble() - 0.5) * Math.scalb(1.0, random.nextInt(-8, 9));
        }
        return values;
    }

    /**
     * Runs one float all-reduce on every rank of the ring, each with {@link #floats} input.
     *
     * @return every rank's result, in rank order.
     */
    static List<float[]> allReduceFloats(final LocalRing ring, final long seed, final int length, final ReduceOp op)
    {
        return ring.run(rank ->
        {
            final float[] data = floats(seed, rank.rank(), length);
            rank.allReduce(data, op);
            return data;
        }, RUN_TIMEOUT_NS);
    }

    static List<double[]> allReduceDoubles(final LocalRing ring, final long seed, final int length, final ReduceOp op)
    {
        return ring.run(rank ->
        {
            final double[] data = doubles(seed, rank.rank(), length);
            rank.allReduce(data, op);
            return data;
        }, RUN_TIMEOUT_NS);
    }

    /**
     * Every rank holds the same bits, and each element is within float rounding of the double-precision
     * reference: a sum of N floats formed in any order is within γ(N−1)·Σ|x_i| of the exact sum
     * (γ(k) = k·u / (1 − k·u), u = 2^−24); AVERAGE adds one rounding of the division. The stated
     * tolerance N·u·Σ|x_i| (divided by N for AVERAGE), times 1.001, covers both.
     */
    static void assertFloatResults(final List<float[]> results, final long seed, final ReduceOp op)
    {
        final int worldSize = results.size();
        final int length = results.get(0).length;
        assertBitIdentical(results);
        final List<float[]> inputs = new ArrayList<>();
        for (int r = 0; r < worldSize; r++)
        {
            inputs.add(floats(seed, r, length));
        }
        final double divisor = ReduceOp.AVERAGE == op ? worldSize : 1.0;
        for (int i = 0; i < length; i++)
        {
            double reference = 0.0;
            double magnitude = 0.0;
            for (final float[] input : inputs)
            {
                reference += input[i];
                magnitude += Math.abs(input[i]);
            }
            reference /= divisor;
            final double tolerance = 1.001 * worldSize * FLOAT_UNIT_ROUNDOFF * magnitude / divisor;
            final double error = Math.abs(results.get(0)[i] - reference);
            assertTrue(error <= tolerance, "element " + i + ": " + results.get(0)[i] + " vs reference " + reference +
                ", error " + error + " > tolerance " + tolerance);
        }
    }

    /** As {@link #assertFloatResults} with u = 2^−53, against a compensated (Kahan–Babuška) reference sum. */
    static void assertDoubleResults(final List<double[]> results, final long seed, final ReduceOp op)
    {
        final int worldSize = results.size();
        final int length = results.get(0).length;
        for (int r = 1; r < worldSize; r++)
        {
            assertArrayEquals(rawBits(results.get(0)), rawBits(results.get(r)), "rank " + r + " differs from rank 0");
        }
        final List<double[]> inputs = new ArrayList<>();
        for (int r = 0; r < worldSize; r++)
        {
            inputs.add(doubles(seed, r, length));
        }
        final double divisor = ReduceOp.AVERAGE == op ? worldSize : 1.0;
        for (int i = 0; i < length; i++)
        {
            double sum = 0.0;
            double compensation = 0.0;
            double magnitude = 0.0;
            for (final double[] input : inputs)
            {
                final double x = input[i];
                final double t = sum + x;
                compensation += Math.abs(sum) >= Math.abs(x) ? (sum - t) + x : (x - t) + sum;
                sum = t;
                magnitude += Math.abs(x);
            }
            final double reference = (sum + compensation) / divisor;
            final double tolerance = 1.001 * worldSize * DOUBLE_UNIT_ROUNDOFF * magnitude / divisor + Double.MIN_NORMAL;
            final double error = Math.abs(results.get(0)[i] - reference);
            assertTrue(error <= tolerance, "element " + i + ": error " + error + " > tolerance " + tolerance);
        }
    }

    static void assertBitIdentical(final List<float[]> results)
    {
        final int[] reference = rawBits(results.get(0));
        for (int r = 1; r < results.size(); r++)
        {
            assertEquals(results.get(0).length, results.get(r).length);
            assertArrayEquals(reference, rawBits(results.get(r)), "rank " + r + " differs from rank 0");
        }
    }

    static int[] rawBits(final float[] values)
    {
        final int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++)
        {
            bits[i] = Float.floatToRawIntBits(values[i]);
        }
        return bits;
    }

    static long[] rawBits(final double[] values)
    {
        final long[] bits = new long[values.length];
        for (int i = 0; i < values.length; i++)
        {
            bits[i] = Double.doubleToRawLongBits(values[i]);
        }
        return bits;
    }

    /** Lengths every ring is tested with: empty, single, fewer than N, not divisible by N, several chunks. */
    static int[] lengths(final int worldSize)
    {
        return Arrays.stream(new int[]{0, 1, worldSize - 1, worldSize, 7 * worldSize + 3, 12_345, 100_003})
            .distinct().toArray();
    }

    /** Elements rank r sends in one all-reduce of M elements: 2M − |seg(r+1)| − |seg(r+2)|. */
    static long elementsSentBy(final int rank, final int worldSize, final int length)
    {
        final int s1 = (rank + 1) % worldSize;
        final int s2 = (rank + 2) % worldSize;
        return 2L * length - segmentLength(s1, worldSize, length) - segmentLength(s2, worldSize, length);
    }

    static int segmentLength(final int segment, final int worldSize, final int length)
    {
        return length / worldSize + (segment < length % worldSize ? 1 : 0);
    }
}
