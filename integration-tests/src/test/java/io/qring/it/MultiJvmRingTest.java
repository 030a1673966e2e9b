package io.qring.it;

import io.qring.allreduce.ReduceOp;
import io.qring.allreduce.RingAllReduce;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;
import io.qring.it.ChildRings.ChildRingRun;
import io.qring.it.rank.RankData;
import io.qring.it.rank.RankOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three rank JVMs over UDP loopback: classical, noiseless quantum and noisy quantum rings on the same
 * deterministic inputs. Each ring runs once per class and is shared by the tests that read it.
 */
class MultiJvmRingTest
{
    private static final int WORLD_SIZE = 3;
    private static final double FLOAT_UNIT_ROUNDOFF = 0x1.0p-24;
    private static final RankOptions BASE = RankOptions.defaults()
        .withLength(100_003)
        .withOperations(3)
        .withOp(ReduceOp.AVERAGE)
        .withSeed(2024);
    private static final Map<String, ChildRingRun> RUNS = new HashMap<>();

    @TempDir
    static Path resultRoot;

    @Test
    void shouldEqualTheDoubleReferenceWithinFloatRoundingBitIdenticallyOnEveryRank() throws Exception
    {
        final ChildRingRun classical = run("classical", BASE);
        for (int operation = 0; operation < BASE.operations(); operation++)
        {
            for (int rank = 1; rank < WORLD_SIZE; rank++)
            {
                assertEquals(classical.hashes().get(0).get(operation), classical.hashes().get(rank).get(operation),
                    "rank " + rank + " operation " + operation);
                assertArrayEquals(classical.results().get(0).get(operation), classical.results().get(rank).get(operation));
            }
            assertWithinRoundingOfReference(classical.results().get(0).get(operation), operation);
        }
    }

    @Test
    void shouldSendTwoTimesNMinusOneOverNOfThePayloadPerRank() throws Exception
    {
        final ChildRingRun classical = run("classical", BASE);
        final int length = BASE.length();
        long total = 0;
        for (int rank = 0; rank < WORLD_SIZE; rank++)
        {
            final LedgerSnapshot next = classical.lastOperationLedgers().get(rank).get(0);
            assertEquals(rank + "->" + (rank + 1) % WORLD_SIZE, next.link());
            final long elements = 2L * length - segmentLength((rank + 1) % WORLD_SIZE, length) -
                segmentLength((rank + 2) % WORLD_SIZE, length);
            final long descriptorBits = (WORLD_SIZE - 1) * 8L * RingAllReduce.DESCRIPTOR_LENGTH;
            assertEquals(8L * Float.BYTES * elements + descriptorBits, next.get(LedgerCounter.PAYLOAD_BITS), "rank " + rank);
            total += elements;
        }
        assertEquals(2L * (WORLD_SIZE - 1) * length, total, "2(N-1)/N * M elements per rank, 2(N-1) * M in all");
    }

    @Test
    void shouldGiveBitIdenticalResultsOverQuantumLinksWithHalfTheOnlineBits() throws Exception
    {
        final ChildRingRun classical = run("classical", BASE);
        final ChildRingRun quantum = run("quantum", BASE.withLink(RankOptions.LinkKind.QUANTUM));
        assertEquals(classical.hashes(), quantum.hashes(), "SHA-256 of every rank's every result");

        final Map<String, LedgerSnapshot> classicalLinks = ChildRings.byLink(classical.lastOperationLedgers());
        final Map<String, LedgerSnapshot> quantumLinks = ChildRings.byLink(quantum.lastOperationLedgers());
        final List<String> dataLinks = classicalLinks.keySet().stream().filter(link -> !link.contains("return")).toList();
        assertEquals(List.of("0->1", "1->2", "2->0"), dataLinks);
        for (final String link : dataLinks)
        {
            final long payloadBits = classicalLinks.get(link).get(LedgerCounter.PAYLOAD_BITS);
            final LedgerSnapshot q = quantumLinks.get(link);
            assertTrue(payloadBits > 0, link);
            assertEquals(payloadBits, q.get(LedgerCounter.PAYLOAD_BITS), link);
            assertEquals(payloadBits, 2 * q.get(LedgerCounter.ONLINE_QUBITS), "online qubits of " + link);
            assertEquals(0, q.get(LedgerCounter.RETRANSMITTED_QUBITS), link);
        }
    }

    @Test
    void shouldDeliverTheNoiselessBitsOverDepolarizingLinks() throws Exception
    {
        final ChildRingRun noiseless = run("quantum", BASE.withLink(RankOptions.LinkKind.QUANTUM));
        final ChildRingRun noisy = run("quantum-depolarizing-1e-2",
            BASE.withLink(RankOptions.LinkKind.QUANTUM).withDepolarizing(1e-2));
        assertEquals(noiseless.hashes(), noisy.hashes(), "SHA-256 of every rank's every result");
        for (int rank = 0; rank < WORLD_SIZE; rank++)
        {
            assertArrayEquals(noiseless.results().get(rank).get(BASE.operations() - 1),
                noisy.results().get(rank).get(BASE.operations() - 1));
        }
        final LedgerSnapshot ring = LedgerSnapshot.merge("ring", ChildRings.byLink(noisy.lastOperationLedgers()).values());
        assertTrue(ring.get(LedgerCounter.RETRANSMITTED_QUBITS) > 0, "noise at 1e-2 must force repairs: " + ring);
        assertTrue(ring.goodputBitsPerQubit() < 2.0, ring.toString());
    }

    /**
     * The same noisy ring in three fresh JVMs again: thread and process timing differ, the ledgers of
     * the last all-reduce (retransmissions, acknowledgements, EPR pairs distributed and sacrificed) do
     * not (DESIGN §7: bit counts reproduce from the seed and config).
     */
    @Test
    void shouldReproduceTheNoisyRingsLedgersInFreshProcesses() throws Exception
    {
        final RankOptions noisyOptions = BASE.withLink(RankOptions.LinkKind.QUANTUM).withDepolarizing(1e-2);
        final ChildRingRun noisy = run("quantum-depolarizing-1e-2", noisyOptions);
        final ChildRingRun again = run("quantum-depolarizing-1e-2-again", noisyOptions);

        assertEquals(ChildRings.byLink(noisy.lastOperationLedgers()), ChildRings.byLink(again.lastOperationLedgers()));
        assertTrue(ChildRings.byLink(again.lastOperationLedgers()).values().stream()
            .allMatch(link -> link.get(LedgerCounter.RETRANSMITTED_QUBITS) > 0), "every link needed repairs");
    }

    private static synchronized ChildRingRun run(final String name, final RankOptions options) throws InterruptedException, IOException
    {
        final ChildRingRun cached = RUNS.get(name);
        if (null != cached)
        {
            return cached;
        }
        final Path directory = Files.createDirectories(resultRoot.resolve(name));
        final ChildRingRun run = ChildRings.runToCompletion(name, WORLD_SIZE, options.withResultDirectory(directory.toString()));
        RUNS.put(name, run);
        return run;
    }

    /**
     * A sum of N floats formed in any order is within γ(N−1)·Σ|x_i| of the exact sum (γ(k) = k·u/(1 − k·u),
     * u = 2^−24); AVERAGE adds one rounding of the division. N·u·Σ|x_i|/N, times 1.001, covers both.
     */
    private static void assertWithinRoundingOfReference(final float[] result, final int operation)
    {
        final float[][] inputs = new float[WORLD_SIZE][];
        for (int rank = 0; rank < WORLD_SIZE; rank++)
        {
            inputs[rank] = RankData.input(BASE.seed(), rank, operation, BASE.length());
        }
        assertEquals(BASE.length(), result.length);
        for (int i = 0; i < result.length; i++)
        {
            double reference = 0.0;
            double magnitude = 0.0;
            for (final float[] input : inputs)
            {
                reference += input[i];
                magnitude += Math.abs(input[i]);
            }
            reference /= WORLD_SIZE;
            final double tolerance = 1.001 * WORLD_SIZE * FLOAT_UNIT_ROUNDOFF * magnitude / WORLD_SIZE;
            final double error = Math.abs(result[i] - reference);
            if (error > tolerance)
            {
                throw new AssertionError("operation " + operation + " element " + i + ": " + result[i] + " vs reference " +
                    reference + ", error " + error + " > tolerance " + tolerance);
            }
        }
    }

    private static int segmentLength(final int segment, final int length)
    {
        return length / WORLD_SIZE + (segment < length % WORLD_SIZE ? 1 : 0);
    }
}
