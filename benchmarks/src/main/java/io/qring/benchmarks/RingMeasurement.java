package io.qring.benchmarks;

import io.qring.allreduce.LocalRing;
import io.qring.allreduce.ReduceOp;
import io.qring.allreduce.RingAllReduce;
import io.qring.allreduce.config.RingContext;
import io.qring.channel.ledger.LedgerSnapshot;
import org.agrona.CloseHelper;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * Times consecutive float all-reduces of rings running side by side in this process (one rank per
 * thread, all rings alive at once) by taking turns: ring 0 runs one all-reduce, then ring 1, and so on,
 * first for the warm-up, then for the timed repetitions. Taking turns lets JIT compilation, garbage
 * collection and whatever else the machine does fall on every ring alike, instead of on whichever ring
 * happens to run first. An operation's time is the longest any rank spent in its {@code allReduce} call;
 * its CPU time is what every thread of the process used meanwhile ({@link ProcessCpu}): the ring's ranks,
 * a quantum ring's control threads, the shared media driver, JIT and GC. The other rings' threads are
 * parked then and add nothing measurable. Its rank CPU time is the part the ring's rank threads used
 * inside their {@code allReduce} calls (each reads its own thread CPU clock): the engine's work, the
 * links' framing, authentication and coding on the calling thread, and its waiting.
 *
 * @param timesNs     time of each timed operation, ns, in run order.
 * @param cpuNs       CPU time of the process during each timed operation, ns, in run order.
 * @param rankCpuNs   CPU time the ring's rank threads used in each timed operation together, ns, in run order.
 * @param cpuWindowNs time over which each of {@code cpuNs} was read, ns, in run order: the operation plus
 *                    handing it to the rank threads and collecting their results.
 * @param chunkLength the chunk the ring moved data in, bytes (after any link wrapper's limit).
 * @param sendAhead   chunks rank 0 sent ahead of its receives ({@link RingAllReduce#sendAhead()}).
 * @param link01      ledger of directed link 0→1 over the last operation, both endpoints merged.
 * @param resultCrc   CRC-32C of the float bits of the result: every operation starts from the same
 *                    inputs, and every rank must end every operation, warm-up included, with these bits.
 */
record RingMeasurement(
    long[] timesNs,
    long[] cpuNs,
    long[] rankCpuNs,
    long[] cpuWindowNs,
    int chunkLength,
    int sendAhead,
    LedgerSnapshot link01,
    int resultCrc)
{
    /** Longest a single all-reduce of the measurement may take. */
    static final long OPERATION_TIMEOUT_NS = TimeUnit.MINUTES.toNanos(5);
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /**
     * Starts one ring per template, runs at least {@code warmUp} untimed turns, more until
     * {@code minWarmUpNs} have passed, then {@code repetitions} timed turns of AVERAGE all-reduces of
     * {@code elements} floats per rank, and closes the rings. Each operation starts from the same seeded
     * inputs (restored untimed), and every rank's result of every operation is checked against the first
     * result, so a ring that drops or repeats a contribution in any operation fails the measurement. The
     * rings take their turns in alternating order (first to last, then last to first), so neither always
     * runs first.
     *
     * @param templates   settings of every rank of each ring (world size, transport, links).
     * @param elements    floats per rank.
     * @param warmUp      least untimed turns.
     * @param minWarmUpNs least time the warm-up takes, ns.
     * @param repetitions timed turns.
     * @return one measurement per template, in order.
     */
    static List<RingMeasurement> measureTakingTurns(
        final List<RingContext> templates,
        final int elements,
        final int warmUp,
        final long minWarmUpNs,
        final int repetitions)
    {
        final List<LocalRing> rings = new ArrayList<>(templates.size());
        try
        {
            final List<float[][]> data = new ArrayList<>(templates.size());
            for (final RingContext template : templates)
            {
                rings.add(LocalRing.start(template));
                data.add(new float[template.worldSize()][elements]);
            }
            final float[][] inputs = inputs(templates.get(0).worldSize(), elements);
            final float[][] results = new float[rings.size()][];
            final long warmUpStart = System.nanoTime();
            for (int turn = 0; turn < warmUp || System.nanoTime() - warmUpStart < minWarmUpNs; turn++)
            {
                for (final int i : turnOrder(rings.size(), turn))
                {
                    restore(inputs, data.get(i));
                    timedAllReduce(rings.get(i), data.get(i));
                    results[i] = checkResult(i, data.get(i), results[i]);
                }
            }
            final long[][] times = new long[rings.size()][repetitions];
            final long[][] cpu = new long[rings.size()][repetitions];
            final long[][] rankCpu = new long[rings.size()][repetitions];
            final long[][] cpuWindow = new long[rings.size()][repetitions];
            for (int turn = 0; turn < repetitions; turn++)
            {
                for (final int i : turnOrder(rings.size(), turn))
                {
                    restore(inputs, data.get(i));
                    final long windowStart = System.nanoTime();
                    final Map<String, Long> cpuBefore = ProcessCpu.snapshot();
                    final Operation operation = timedAllReduce(rings.get(i), data.get(i));
                    cpu[i][turn] = ProcessCpu.usedSince(cpuBefore);
                    cpuWindow[i][turn] = System.nanoTime() - windowStart;
                    times[i][turn] = operation.timeNs();
                    rankCpu[i][turn] = operation.rankCpuNs();
                    checkResult(i, data.get(i), results[i]);
                }
            }
            final List<RingMeasurement> measurements = new ArrayList<>(rings.size());
            for (int i = 0; i < rings.size(); i++)
            {
                measurements.add(new RingMeasurement(times[i], cpu[i], rankCpu[i], cpuWindow[i],
                    rings.get(i).rank(0).chunkLength(), rings.get(i).rank(0).sendAhead(), link01(rings.get(i)),
                    crc32c(results[i])));
            }
            return measurements;
        }
        finally
        {
            CloseHelper.quietCloseAll(rings);
        }
    }

    /** @return the median operation time, ns (the mean of the middle two for an even count). */
    long medianNs()
    {
        return Figures.median(timesNs);
    }

    /** @return the median CPU time of the process per operation, ns. */
    long medianCpuNs()
    {
        return Figures.median(cpuNs);
    }

    /** @return the median CPU time of the ring's rank threads per operation, ns. */
    long medianRankCpuNs()
    {
        return Figures.median(rankCpuNs);
    }

    /**
     * @return the median over operations of the cores the process kept busy: its CPU time over the time
     *         that CPU time was read across.
     */
    double medianCoresBusy()
    {
        final double[] busy = new double[cpuNs.length];
        for (int i = 0; i < busy.length; i++)
        {
            busy[i] = (double)cpuNs[i] / cpuWindowNs[i];
        }
        return Figures.median(busy);
    }

    /** @return the fastest operation time, ns. */
    long minNs()
    {
        return Arrays.stream(timesNs).min().orElseThrow();
    }

    /**
     * One all-reduce of a ring, or one rank's part of it.
     *
     * @param timeNs    time spent in {@code allReduce}: the longest of any rank's for the ring.
     * @param rankCpuNs CPU time used in {@code allReduce}: all ranks' together for the ring.
     */
    private record Operation(long timeNs, long rankCpuNs)
    {
    }

    private static Operation timedAllReduce(final LocalRing ring, final float[][] data)
    {
        final List<Operation> perRank = ring.run(rank ->
        {
            final long cpuStart = THREADS.getCurrentThreadCpuTime();
            final long start = System.nanoTime();
            rank.allReduce(data[rank.rank()], ReduceOp.AVERAGE);
            final long elapsed = System.nanoTime() - start;
            return new Operation(elapsed, THREADS.getCurrentThreadCpuTime() - cpuStart);
        }, OPERATION_TIMEOUT_NS);
        return new Operation(perRank.stream().mapToLong(Operation::timeNs).max().orElseThrow(),
            perRank.stream().mapToLong(Operation::rankCpuNs).sum());
    }

    /** @return ring indices in turn {@code turn}'s order: first to last on even turns, last to first on odd ones. */
    private static int[] turnOrder(final int rings, final int turn)
    {
        final int[] order = new int[rings];
        for (int k = 0; k < rings; k++)
        {
            order[k] = 0 == turn % 2 ? k : rings - 1 - k;
        }
        return order;
    }

    private static void restore(final float[][] inputs, final float[][] data)
    {
        for (int r = 0; r < data.length; r++)
        {
            System.arraycopy(inputs[r], 0, data[r], 0, inputs[r].length);
        }
    }

    /**
     * @param ring     index of the ring, for messages.
     * @param ranks    every rank's result of one operation.
     * @param expected the result of the ring's first operation, or {@code null} for the first.
     * @return the result every rank holds, as {@code expected} for the ring's later operations.
     * @throws IllegalStateException if a rank's bits differ from rank 0's or from the first operation's.
     */
    private static float[] checkResult(final int ring, final float[][] ranks, final float[] expected)
    {
        for (int r = 1; r < ranks.length; r++)
        {
            if (!Arrays.equals(ranks[r], ranks[0]))
            {
                throw new IllegalStateException("ring " + ring + ": rank " + r + " ended an operation with other bits than rank 0");
            }
        }
        if (null == expected)
        {
            return ranks[0].clone();
        }
        if (!Arrays.equals(ranks[0], expected))
        {
            throw new IllegalStateException("ring " + ring + ": an operation on the same inputs ended with other bits than the first");
        }
        return expected;
    }

    /** @return CRC-32C of the float bits, little-endian. */
    private static int crc32c(final float[] values)
    {
        final ByteBuffer bits = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bits.asFloatBuffer().put(values);
        final CRC32C crc = new CRC32C();
        crc.update(bits);
        return (int)crc.getValue();
    }

    private static LedgerSnapshot link01(final LocalRing ring)
    {
        final List<LedgerSnapshot> link01 = new ArrayList<>();
        for (final RingAllReduce rank : ring.ranks())
        {
            rank.lastOperationLedgers().stream().filter(s -> "0->1".equals(s.link())).forEach(link01::add);
        }
        return LedgerSnapshot.merge("0->1", link01);
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
