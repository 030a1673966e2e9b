package io.qring.it;

import io.qring.allreduce.LocalRing;
import io.qring.allreduce.NonFiniteValueException;
import io.qring.allreduce.ReduceOp;
import io.qring.allreduce.RingAllReduce;
import io.qring.allreduce.config.NonFinitePolicy;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.quantum.QuantumLinkSettings;
import io.qring.channel.ledger.LedgerCounter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NaN and infinities in the input over real Aeron IPC, on classical and quantum rings of 3 threads: under
 * {@link NonFinitePolicy#REJECT} (the default) every rank fails with the same {@link NonFiniteValueException}
 * naming the first offending rank, index and value before any payload moves, every input is left as it
 * was, and the ring stays usable; under {@link NonFinitePolicy#PROPAGATE} the values are reduced by IEEE
 * 754 arithmetic and every rank ends with the same bits.
 */
class IpcNonFiniteTest
{
    private static final int WORLD_SIZE = 3;
    private static final int LENGTH = 20_000;

    @ParameterizedTest(name = "quantum links: {0}")
    @ValueSource(booleans = {false, true})
    void shouldRejectAnInfinityOnEveryRankBeforeAnyPayloadMoves(final boolean quantum)
    {
        try (LocalRing ring = LocalRing.start(context(quantum)))
        {
            final List<LocalRing.Outcome<float[]>> outcomes = ring.runEach(rank ->
            {
                final float[] data = input(rank.rank());
                if (2 == rank.rank())
                {
                    data[12_345] = Float.POSITIVE_INFINITY;
                }
                rank.allReduce(data, ReduceOp.SUM);
                return data;
            }, IpcRings.RUN_TIMEOUT_NS);

            for (final LocalRing.Outcome<float[]> outcome : outcomes)
            {
                final NonFiniteValueException rejected = assertInstanceOf(NonFiniteValueException.class, outcome.failure(),
                    "rank " + outcome.rank());
                assertEquals(2, rejected.offendingRank());
                assertEquals(12_345, rejected.index());
                assertEquals(Double.POSITIVE_INFINITY, rejected.value());
                assertTrue(rejected.getMessage().contains("rank 2") && rejected.getMessage().contains("12345"), rejected.getMessage());
                assertEquals((WORLD_SIZE - 1) * 8L * RingAllReduce.DESCRIPTOR_LENGTH,
                    ring.rank(outcome.rank()).lastOperationLedgers().get(0).get(LedgerCounter.PAYLOAD_BITS),
                    "only the descriptors moved on rank " + outcome.rank() + "'s next link");
            }
            final List<float[]> after = ring.run(rank ->
            {
                final float[] data = input(rank.rank());
                rank.allReduce(data, ReduceOp.SUM);
                return data;
            }, IpcRings.RUN_TIMEOUT_NS);
            final float[] expected = expectedSum();
            for (final float[] result : after)
            {
                assertArrayEquals(expected, result, "the ring stays usable after the rejection");
            }
        }
    }

    @ParameterizedTest(name = "quantum links: {0}")
    @ValueSource(booleans = {false, true})
    void shouldPropagateNaNAndInfinitiesBitIdenticallyWhenConfigured(final boolean quantum)
    {
        try (LocalRing ring = LocalRing.start(context(quantum).nonFinitePolicy(NonFinitePolicy.PROPAGATE)))
        {
            final List<float[]> results = ring.run(rank ->
            {
                final float[] data = input(rank.rank());
                if (0 == rank.rank())
                {
                    data[7] = Float.NaN;
                    data[8] = Float.POSITIVE_INFINITY;
                    data[9] = Float.POSITIVE_INFINITY;
                }
                if (1 == rank.rank())
                {
                    data[9] = Float.NEGATIVE_INFINITY;
                    data[LENGTH - 1] = Float.NEGATIVE_INFINITY;
                }
                rank.allReduce(data, ReduceOp.SUM);
                return data;
            }, IpcRings.RUN_TIMEOUT_NS);

            final float[] expected = expectedSum();
            expected[7] = Float.NaN;
            expected[8] = Float.POSITIVE_INFINITY;
            expected[9] = Float.NaN;
            expected[LENGTH - 1] = Float.NEGATIVE_INFINITY;
            for (final float[] result : results)
            {
                assertTrue(Float.isNaN(result[7]) && Float.isNaN(result[9]), "NaN spreads, and +inf + -inf is NaN");
                assertEquals(Float.POSITIVE_INFINITY, result[8]);
                assertEquals(Float.NEGATIVE_INFINITY, result[LENGTH - 1]);
                assertArrayEquals(expected, result, "the finite elements are the exact sums");
                assertArrayEquals(IpcRings.rawBits(results.get(0)), IpcRings.rawBits(result),
                    "every rank ends with the same bits, NaNs included");
            }
        }
    }

    private static RingContext context(final boolean quantum)
    {
        final RingContext context = IpcRings.context(WORLD_SIZE);
        return quantum ? context.linkWrapper(QuantumLinkSettings.builder().build().wrapper()) : context;
    }

    /** Small integers, so every sum is exact in float and independent of the order of addition. */
    private static float[] input(final int rank)
    {
        final float[] data = new float[LENGTH];
        for (int i = 0; i < LENGTH; i++)
        {
            data[i] = (i % 97) * (rank + 1);
        }
        return data;
    }

    private static float[] expectedSum()
    {
        final float[] expected = new float[LENGTH];
        for (int rank = 0; rank < WORLD_SIZE; rank++)
        {
            final float[] data = input(rank);
            for (int i = 0; i < LENGTH; i++)
            {
                expected[i] += data[i];
            }
        }
        return expected;
    }
}
