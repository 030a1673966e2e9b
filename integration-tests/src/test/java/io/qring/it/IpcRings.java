package io.qring.it;

import io.qring.allreduce.LocalRing;
import io.qring.allreduce.ReduceOp;
import io.qring.allreduce.RingAllReduce;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import io.qring.channel.ledger.LedgerSnapshot;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Rings of threads in this JVM over real Aeron IPC (one embedded media driver) running a fixed list of
 * SUM all-reduces on seeded inputs, and what they delivered: every rank's result as raw bits and the
 * ledgers of every directed link.
 */
final class IpcRings
{
    /** Longest one whole ring may take to run its operations. */
    static final long RUN_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);
    /** Link names of the classical ring's reverse (acknowledgement) directions end with this. */
    static final String RETURN_SUFFIX = " (return)";

    private IpcRings()
    {
    }

    /**
     * @param worldSize ranks.
     * @return an IPC ring context with short timeouts.
     */
    static RingContext context(final int worldSize)
    {
        return new RingContext()
            .transport(TransportKind.IPC)
            .worldSize(worldSize)
            .chunkLength(16 * 1024)
            .termLength(256 * 1024)
            .connectTimeoutNs(TimeUnit.SECONDS.toNanos(10))
            .operationTimeoutNs(TimeUnit.SECONDS.toNanos(10))
            .driverLivenessTimeoutNs(TimeUnit.SECONDS.toNanos(2));
    }

    /**
     * @param values floats.
     * @return their raw bits (NaN payloads included), widened to longs as every result here is kept.
     */
    static long[] rawBits(final float[] values)
    {
        final long[] raw = new long[values.length];
        for (int i = 0; i < values.length; i++)
        {
            raw[i] = Float.floatToRawIntBits(values[i]);
        }
        return raw;
    }

    /**
     * Starts a ring, runs every operation on every rank in order, then closes the ring.
     *
     * @param context    the ring.
     * @param operations what to all-reduce, in order.
     * @param seed       seed of the inputs.
     * @return the results and ledgers.
     */
    static RingRun run(final RingContext context, final List<Operation> operations, final long seed)
    {
        try (LocalRing ring = LocalRing.start(context))
        {
            final List<List<OperationResult>> perRank = ring.run(rank ->
            {
                final List<OperationResult> results = new ArrayList<>(operations.size());
                for (int index = 0; index < operations.size(); index++)
                {
                    final Operation operation = operations.get(index);
                    results.add(new OperationResult(operation.allReduce(rank, seed, index), rank.lastOperationLedgers()));
                }
                return results;
            }, RUN_TIMEOUT_NS);
            final List<LedgerSnapshot> cumulative = new ArrayList<>();
            for (final RingAllReduce rank : ring.ranks())
            {
                cumulative.addAll(rank.linkLedgers());
            }
            final List<List<long[]>> results = new ArrayList<>();
            final List<Map<String, LedgerSnapshot>> lastOperation = new ArrayList<>();
            for (int index = 0; index < operations.size(); index++)
            {
                final int op = index;
                results.add(perRank.stream().map(r -> r.get(op).bits()).toList());
                lastOperation.add(byLink(perRank.stream().flatMap(r -> r.get(op).ledgers().stream()).toList()));
            }
            return new RingRun(results, lastOperation, byLink(cumulative));
        }
    }

    /**
     * @param snapshots snapshots of directed links, from any endpoints.
     * @return the snapshots merged by link name (a quantum link's two endpoints each count their part).
     */
    static Map<String, LedgerSnapshot> byLink(final Collection<LedgerSnapshot> snapshots)
    {
        return snapshots.stream()
            .collect(Collectors.groupingBy(LedgerSnapshot::link, TreeMap::new, Collectors.toList()))
            .entrySet().stream()
            .collect(Collectors.toMap(Map.Entry::getKey, e -> LedgerSnapshot.merge(e.getKey(), e.getValue()),
                (a, b) -> a, TreeMap::new));
    }

    /**
     * @param links snapshots by link name.
     * @return the names of the links that carry data ("r->r+1"), without the classical ring's return directions.
     */
    static List<String> dataLinks(final Map<String, LedgerSnapshot> links)
    {
        return links.keySet().stream().filter(link -> !link.endsWith(RETURN_SUFFIX)).toList();
    }

    /**
     * @param worldSize ranks.
     * @return the names of the ring's directed data links, "0->1" to "N-1->0", sorted as {@link #byLink} sorts them.
     */
    static List<String> ringLinks(final int worldSize)
    {
        final List<String> links = new ArrayList<>(worldSize);
        for (int rank = 0; rank < worldSize; rank++)
        {
            links.add(rank + "->" + (rank + 1) % worldSize);
        }
        return links.stream().sorted().toList();
    }

    /**
     * @param what     which results (for messages).
     * @param expected raw bits by rank.
     * @param actual   raw bits by rank.
     */
    static void assertSameBits(final String what, final List<long[]> expected, final List<long[]> actual)
    {
        assertEquals(expected.size(), actual.size(), what);
        for (int rank = 0; rank < expected.size(); rank++)
        {
            assertArrayEquals(expected.get(rank), actual.get(rank), what + ", rank " + rank);
        }
    }

    /** Element type of an all-reduce. */
    enum Kind
    {
        FLOAT(Float.SIZE, 0x1.0p-24),
        DOUBLE(Double.SIZE, 0x1.0p-53);

        private final int bits;
        private final double unitRoundoff;

        Kind(final int bits, final double unitRoundoff)
        {
            this.bits = bits;
            this.unitRoundoff = unitRoundoff;
        }

        /** @return bits per element. */
        int bits()
        {
            return bits;
        }

        /** @return u, half the distance from 1 to the next representable number. */
        double unitRoundoff()
        {
            return unitRoundoff;
        }

        /**
         * @param raw raw bits of one element.
         * @return its value.
         */
        double value(final long raw)
        {
            return FLOAT == this ? Float.intBitsToFloat((int)raw) : Double.longBitsToDouble(raw);
        }
    }

    /**
     * One SUM all-reduce of {@code length} elements of {@code kind}.
     *
     * @param kind   element type.
     * @param length elements.
     */
    record Operation(Kind kind, int length)
    {
        /**
         * The input of one rank: magnitudes spread over 2^-9..2^8 (and below), signs mixed, so sums round.
         *
         * @param seed  seed of the run.
         * @param rank  the rank.
         * @param index index of the operation in its run.
         * @return raw bits of every element.
         */
        long[] input(final long seed, final int rank, final int index)
        {
            final SplittableRandom random = new SplittableRandom(seed * 1_000_003L + 1_009L * index + rank);
            final long[] raw = new long[length];
            for (int i = 0; i < length; i++)
            {
                final double value = (random.nextDouble() - 0.5) * Math.scalb(1.0, random.nextInt(-8, 9));
                raw[i] = Kind.FLOAT == kind ? Float.floatToRawIntBits((float)value) : Double.doubleToRawLongBits(value);
            }
            return raw;
        }

        /**
         * Runs this operation on one rank of a ring, with that rank's input.
         *
         * @param rank  the rank.
         * @param seed  seed of the run.
         * @param index index of the operation in its run.
         * @return raw bits of the rank's result.
         */
        long[] allReduce(final RingAllReduce rank, final long seed, final int index)
        {
            final long[] raw = input(seed, rank.rank(), index);
            if (Kind.FLOAT == kind)
            {
                final float[] data = new float[length];
                for (int i = 0; i < length; i++)
                {
                    data[i] = Float.intBitsToFloat((int)raw[i]);
                }
                rank.allReduce(data, ReduceOp.SUM);
                for (int i = 0; i < length; i++)
                {
                    raw[i] = Float.floatToRawIntBits(data[i]);
                }
            }
            else
            {
                final double[] data = new double[length];
                for (int i = 0; i < length; i++)
                {
                    data[i] = Double.longBitsToDouble(raw[i]);
                }
                rank.allReduce(data, ReduceOp.SUM);
                for (int i = 0; i < length; i++)
                {
                    raw[i] = Double.doubleToRawLongBits(data[i]);
                }
            }
            return raw;
        }

        @Override
        public String toString()
        {
            return kind.name().toLowerCase() + "[" + length + "]";
        }
    }

    /**
     * What one rank got from one operation.
     *
     * @param bits    raw bits of its result.
     * @param ledgers its two outbound links over that operation, next link first.
     */
    private record OperationResult(long[] bits, List<LedgerSnapshot> ledgers)
    {
    }

    /**
     * What a ring delivered.
     *
     * @param results       [operation][rank] raw bits of the result.
     * @param lastOperation [operation] ledgers by link over that operation, each rank's snapshot taken when
     *                      its own all-reduce returned (what the sender counts is complete by then).
     * @param cumulative    ledgers by link over the whole run, taken after every rank finished.
     */
    record RingRun(List<List<long[]>> results, List<Map<String, LedgerSnapshot>> lastOperation, Map<String, LedgerSnapshot> cumulative)
    {
    }
}
