package io.qring.samples.training;

import io.qring.allreduce.ReduceOp;
import io.qring.allreduce.RingAllReduce;
import io.qring.channel.epr.EprShares;
import io.qring.channel.ledger.LedgerSnapshot;
import io.qring.samples.launcher.RankHooks;
import io.qring.samples.launcher.RankJob;
import io.qring.samples.launcher.RankResult;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * The bare exchange: every iteration each rank fills an array with seeded values in [−1, 1), the ring
 * averages it, and the rank checks sampled elements of the result against the exact mean of every rank's
 * values (which it can compute, knowing the seeds), within {@value #TOLERANCE}. Records the duration and
 * the link ledgers of each all-reduce; the final result's checksum shows that quantum and classical rings
 * deliver bit-identical numbers.
 */
public final class AllReduceJob implements RankJob
{
    /** Largest difference allowed between a float average and the exact mean of values in [−1, 1). */
    public static final double TOLERANCE = 1e-5;
    /** Elements checked per iteration, about (evenly spaced; see {@link #checkedElements(int)}). */
    public static final int CHECKED_ELEMENTS = 1024;

    private final int elements;
    private final int iterations;
    private final long seed;

    /**
     * @param elements   floats per array, ≥ 1.
     * @param iterations all-reduces per rank, ≥ 1.
     * @param seed       seed of the values.
     */
    public AllReduceJob(final int elements, final int iterations, final long seed)
    {
        if (elements < 1 || iterations < 1)
        {
            throw new IllegalArgumentException("elements and iterations must be at least 1, got " + elements + " and " + iterations);
        }
        this.elements = elements;
        this.iterations = iterations;
        this.seed = seed;
    }

    @Override
    public RankResult run(final RingAllReduce ring, final RankHooks hooks)
    {
        final long start = System.nanoTime();
        final int rank = ring.rank();
        final float[] data = new float[elements];
        final List<Double> losses = new ArrayList<>();
        final List<Double> seconds = new ArrayList<>();
        final List<List<LedgerSnapshot>> ledgers = new ArrayList<>();
        for (int i = 0; i < iterations; i++)
        {
            for (int j = 0; j < elements; j++)
            {
                data[j] = value(rank, i, j);
            }
            hooks.qberLog().iteration(rank, i);
            final long began = System.nanoTime();
            ring.allReduce(data, ReduceOp.AVERAGE);
            seconds.add((System.nanoTime() - began) / 1e9);
            ledgers.add(ring.linkLedgers());
            losses.add(Double.NaN);
            check(data, ring.worldSize(), i);
            hooks.progress().iterationDone(rank, i, Double.NaN);
        }
        return new RankResult(rank, losses, seconds, ledgers, List.of(), hooks.qberLog().estimates(rank), checksum(data),
            (System.nanoTime() - start) / 1e9);
    }

    /**
     * @param elements elements of each all-reduce.
     * @return how many of them the job checks against the exact mean per all-reduce: every
     *         {@code max(1, elements / }{@value #CHECKED_ELEMENTS}{@code )}-th, from the first.
     */
    public static int checkedElements(final int elements)
    {
        final int stride = checkStride(elements);
        return (elements + stride - 1) / stride;
    }

    private static int checkStride(final int elements)
    {
        return Math.max(1, elements / CHECKED_ELEMENTS);
    }

    private void check(final float[] result, final int worldSize, final int iteration)
    {
        final int stride = checkStride(elements);
        for (int j = 0; j < elements; j += stride)
        {
            double sum = 0;
            for (int r = 0; r < worldSize; r++)
            {
                sum += value(r, iteration, j);
            }
            final double expected = sum / worldSize;
            if (!(Math.abs(result[j] - expected) <= TOLERANCE))
            {
                throw new IllegalStateException("all-reduce " + iteration + " delivered " + result[j] + " at element " + j +
                    " where the mean of the ranks' values is " + expected);
            }
        }
    }

    /** A value in [−1, 1) from the seed, rank, iteration and element (SplitMix64 finaliser). */
    private float value(final int rank, final int iteration, final int element)
    {
        final long counter = ((long)rank << 48) ^ ((long)iteration << 32) ^ element;
        final long z = EprShares.mix64(seed + EprShares.SHARE_WORD_STRIDE * counter);
        return (z >>> 40) * 0x1.0p-23f - 1.0f;
    }

    private static long checksum(final float[] data)
    {
        final ByteBuffer bytes = ByteBuffer.allocate(Float.BYTES * data.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(data);
        final CRC32 crc = new CRC32();
        crc.update(bytes);
        return crc.getValue();
    }
}
