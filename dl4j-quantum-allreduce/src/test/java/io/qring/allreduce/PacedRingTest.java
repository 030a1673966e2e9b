package io.qring.allreduce;

import io.qring.allreduce.config.LinkRateModel;
import io.qring.allreduce.config.LinkRateModel.ModelledTime;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import io.qring.allreduce.link.LinkTimeoutException;
import io.qring.allreduce.quantum.QuantumLinkSettings;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.qring.allreduce.RingTestSupport.RUN_TIMEOUT_NS;
import static io.qring.allreduce.RingTestSupport.context;
import static io.qring.allreduce.RingTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rings paced to a link-rate model: an all-reduce cannot finish before its slowest link has carried its
 * traffic at the model's rates, its last message included, nor take much longer (a quarter more, plus
 * the unpaced ring's own work and the wake-ups a busy machine delays), a quantum ring's qubit time is half
 * a classical ring's bit time at equal rates, the numbers are those of the unpaced ring, and a link kept
 * busy past a send's deadline fails naming the pacing.
 */
class PacedRingTest
{
    private static final int RANKS = 4;
    private static final int FLOATS = 240_000;
    /**
     * Four chunks per rank's segment, so the ring still pipelines, but few paced sends per link (27): a
     * paced link loses for good whatever a late wake-up delays a send by, once per send.
     */
    private static final int PACED_CHUNK_LENGTH = 64 * 1024;
    /**
     * Slow enough that even the quantum ring paces for about 1.4 s, so that a ring taking twice the
     * model (a pacing that counts every bit twice, say) exceeds {@link #upperBound}.
     */
    private static final LinkRateModel MODEL = new LinkRateModel(4e6, 4e6, 0.0);
    /** What late wake-ups may add to the modelled time, relative to it. */
    private static final double LATE_WAKE_UP_FACTOR = 1.25;
    /**
     * What an unpaced ring of this size may add to the modelled time on a busy 2-core machine, at most:
     * its own work, and scheduling delays the factor does not cover.
     */
    private static final double UNPACED_WORK_SECONDS = 1.0;

    @Test
    void shouldTakeAtLeastTheTimeThePacedLinksNeedAtTheModelsRates()
    {
        final Paced classical = runPaced(context(TransportKind.IN_MEMORY, RANKS).chunkLength(PACED_CHUNK_LENGTH)
            .linkWrapper(MODEL.pacing()), RANKS, FLOATS);
        final Paced quantum = runPaced(context(TransportKind.IN_MEMORY, RANKS).chunkLength(PACED_CHUNK_LENGTH)
            .linkWrapper(QuantumLinkSettings.builder().build().wrapper().then(MODEL.pacing())), RANKS, FLOATS);

        final ModelledTime classicalModel = MODEL.classicalRing(classical.links);
        final ModelledTime quantumModel = MODEL.quantumRing(quantum.links);
        assertEquals((RANKS - 1) + 2 * (RANKS - 1) * 4, classical.links.get(0).get(LedgerCounter.MESSAGES),
            "a descriptor per agreement round, four chunks per segment and step");
        for (final ModelledTime model : List.of(classicalModel, quantumModel))
        {
            assertTrue(2 * model.totalSeconds() > upperBound(model),
                "the bound must fail a pacing that waits twice the model: " + model);
        }
        assertTrue(classical.seconds >= classicalModel.totalSeconds(),
            "classical ring took " + classical.seconds + " s, its links need " + classicalModel.totalSeconds() + " s");
        assertTrue(quantum.seconds >= quantumModel.totalSeconds(),
            "quantum ring took " + quantum.seconds + " s, its links need " + quantumModel.totalSeconds() + " s");
        assertTrue(classical.seconds <= upperBound(classicalModel),
            "classical ring took " + classical.seconds + " s, its links need only " + classicalModel.totalSeconds() + " s");
        assertTrue(quantum.seconds <= upperBound(quantumModel),
            "quantum ring took " + quantum.seconds + " s, its links need only " + quantumModel.totalSeconds() + " s");
        assertEquals(0.5, quantumModel.qubitSeconds() / classicalModel.totalSeconds(), 0.01,
            "superdense coding: half as many qubits as classical bits at equal rates");
        assertArrayEquals(classical.result, quantum.result, "pacing changes the timing, never the numbers");
    }

    /**
     * Two ranks, one chunk per segment: each link carries a descriptor and two chunks, and the
     * all-gather's chunk is the collective's last message. The collective ends only once that chunk has
     * been transmitted too; without the wait at the end it would end a whole chunk's time early, after
     * about half the modelled time.
     */
    @Test
    void shouldEndACollectiveOnlyOnceItsLastMessageIsTransmitted()
    {
        final int ranks = 2;
        final LinkRateModel megabit = new LinkRateModel(1e6, 1e6, 0.0);
        final RingContext template = context(TransportKind.IN_MEMORY, ranks).linkWrapper(megabit.pacing());
        final Paced paced = runPaced(template, ranks, ranks * template.chunkLength() / Float.BYTES);
        final ModelledTime model = megabit.classicalRing(paced.links);
        assertEquals(3, paced.links.get(0).get(LedgerCounter.MESSAGES), "a descriptor and one chunk per exchange");
        assertTrue(model.totalSeconds() > 0.2, "the test must pace for a measurable time: " + model);
        assertTrue(paced.seconds >= model.totalSeconds(), "took " + paced.seconds + " s, the links need " + model.totalSeconds() + " s");
    }

    @Test
    void shouldFailALinkBusyPastTheSendDeadlineNamingThePacing()
    {
        final RingContext slow = context(TransportKind.IN_MEMORY, RANKS)
            .operationTimeoutNs(TimeUnit.SECONDS.toNanos(1))
            .linkWrapper(new LinkRateModel(10_000, 10_000, 0.0).pacing());
        try (LocalRing ring = LocalRing.start(slow))
        {
            final long start = System.nanoTime();
            final List<LocalRing.Outcome<Object>> outcomes = ring.runEach(rank ->
            {
                rank.allReduce(floats(3, rank.rank(), FLOATS), ReduceOp.SUM);
                return null;
            }, RUN_TIMEOUT_NS);
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "fails fast, no hang");
            final List<String> paced = new ArrayList<>();
            for (final LocalRing.Outcome<Object> outcome : outcomes)
            {
                assertTrue(null != outcome.failure(), "rank " + outcome.rank() + " must fail");
                if (outcome.failure() instanceof LinkTimeoutException && outcome.failure().getMessage().contains("paced link"))
                {
                    paced.add(outcome.failure().getMessage());
                }
            }
            assertTrue(!paced.isEmpty(), "some rank names the pacing: " + outcomes);
            assertInstanceOf(LinkTimeoutException.class, outcomes.stream()
                .filter(o -> o.failure().getMessage().contains("paced link")).findFirst().orElseThrow().failure());
        }
    }

    /** @return the longest a ring paced to {@code model} may take. */
    private static double upperBound(final ModelledTime model)
    {
        return LATE_WAKE_UP_FACTOR * model.totalSeconds() + UNPACED_WORK_SECONDS;
    }

    private static Paced runPaced(final RingContext template, final int ranks, final int floats)
    {
        try (LocalRing ring = LocalRing.start(template))
        {
            final float[][] data = new float[ranks][];
            for (int r = 0; r < ranks; r++)
            {
                data[r] = floats(11, r, floats);
            }
            final long start = System.nanoTime();
            ring.run(rank ->
            {
                rank.allReduce(data[rank.rank()], ReduceOp.AVERAGE);
                return null;
            }, RUN_TIMEOUT_NS);
            final double seconds = (System.nanoTime() - start) / 1e9;
            final List<LedgerSnapshot> links = new ArrayList<>();
            for (final RingAllReduce rank : ring.ranks())
            {
                links.add(rank.lastOperationLedgers().get(0));
            }
            return new Paced(seconds, links, data[0]);
        }
    }

    private record Paced(double seconds, List<LedgerSnapshot> links, float[] result)
    {
    }
}
