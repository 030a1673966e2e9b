package io.qring.it;

import io.qring.allreduce.LocalRing;
import io.qring.allreduce.ReduceOp;
import io.qring.allreduce.RingAllReduce;
import io.qring.allreduce.link.LinkTimeoutException;
import io.qring.allreduce.quantum.AlarmPolicy;
import io.qring.allreduce.quantum.QuantumLinkException;
import io.qring.allreduce.quantum.QuantumLinkSettings;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;
import io.qring.channel.verify.InterceptResendEavesdropper;
import io.qring.it.IpcRings.Kind;
import io.qring.it.IpcRings.Operation;
import io.qring.it.IpcRings.RingRun;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An intercept-resend eavesdropper on the pairs of one link (1->2) of a ring of four threads over real
 * Aeron IPC. The link's first batch is distributed, and fails verification, when its first frame, a
 * descriptor of the agreement that precedes every all-reduce, reserves its pairs. Under ABORT the sender
 * announces the alarm in that frame's place, coding nothing on the failed pairs, and only rank 1 (which needs nothing relayed by
 * rank 2) completes the agreement; it sends its first chunk over the failed link and then waits, so
 * no rank receives an element and every array still holds its input. (In general a rank that fails
 * mid-collective may leave a partly reduced array: the engine reduces in place.) Under
 * FALLBACK_CLASSICAL both ends reach the verdict at that frame, so the link carries all its payload as
 * classical bits, none on the attacked pairs, the ring delivers the classical ring's bits, and a second
 * run keeps the same ledgers.
 */
class QuantumIpcEavesdropperTest
{
    private static final long SEED = 20_240_918L;
    private static final int WORLD_SIZE = 4;
    private static final int FROM = 1;
    private static final int TO = 2;
    private static final String EAVESDROPPED = FROM + "->" + TO;
    private static final List<Operation> OPERATIONS = List.of(new Operation(Kind.FLOAT, 50_003), new Operation(Kind.DOUBLE, 10_007));

    @Test
    void shouldFailEveryRankNamingTheLinkAndLeaveEveryInputUntouchedUnderAbort()
    {
        final Operation operation = OPERATIONS.get(0);
        final long[][] inputs = new long[WORLD_SIZE][];
        final float[][] data = new float[WORLD_SIZE][operation.length()];
        for (int rank = 0; rank < WORLD_SIZE; rank++)
        {
            inputs[rank] = operation.input(SEED, rank, 0);
            for (int i = 0; i < operation.length(); i++)
            {
                data[rank][i] = Float.intBitsToFloat((int)inputs[rank][i]);
            }
        }
        try (LocalRing ring = LocalRing.start(IpcRings.context(WORLD_SIZE).linkWrapper(settings(AlarmPolicy.ABORT).wrapper())))
        {
            final List<LocalRing.Outcome<Void>> outcomes = ring.runEach(rank ->
            {
                rank.allReduce(data[rank.rank()], ReduceOp.SUM);
                return null;
            }, IpcRings.RUN_TIMEOUT_NS);

            for (final LocalRing.Outcome<Void> outcome : outcomes)
            {
                final String chain = messages(outcome.failure());
                assertTrue(chain.contains("link " + EAVESDROPPED), "rank " + outcome.rank() + " must trace its failure to the link: " + chain);
                assertTrue(TO == outcome.rank() || chain.contains("rank " + TO + " failed"),
                    "rank " + outcome.rank() + " must name the rank that failed first: " + chain);
                assertTrue(causes(outcome.failure()).stream().noneMatch(LinkTimeoutException.class::isInstance),
                    "rank " + outcome.rank() + " must be told, not time out: " + chain);
            }
            final Throwable receiver = rootQuantumCause(outcomes.get(TO).failure());
            assertInstanceOf(QuantumLinkException.class, receiver);
            assertTrue(receiver.getMessage().contains("verification of link " + EAVESDROPPED + " raised an alarm"), receiver.getMessage());

            for (int rank = 0; rank < WORLD_SIZE; rank++)
            {
                assertArrayEquals(inputs[rank], IpcRings.rawBits(data[rank]), "rank " + rank + " must still hold its input");
            }
            final List<LedgerSnapshot> snapshots = new ArrayList<>();
            ring.ranks().forEach(rank -> snapshots.addAll(rank.lastOperationLedgers()));
            final Map<String, LedgerSnapshot> links = IpcRings.byLink(snapshots);
            assertEquals(IpcRings.ringLinks(WORLD_SIZE), List.copyOf(links.keySet()));
            for (final LedgerSnapshot link : links.values())
            {
                final boolean eavesdropped = EAVESDROPPED.equals(link.link());
                assertEquals(eavesdropped ? 1 : 0, link.get(LedgerCounter.VERIFICATION_ALARMS), link.toString());
                if (eavesdropped)
                {
                    assertEquals(0, link.get(LedgerCounter.EPR_CONSUMED), "nothing was coded on the failed batch: " + link);
                }
                if (!eavesdropped)
                {
                    assertTrue(link.get(LedgerCounter.PAYLOAD_BITS) <= (WORLD_SIZE - 1) * 8L * RingAllReduce.DESCRIPTOR_LENGTH,
                        "no rank but " + FROM + " got through the agreement, so only descriptors moved: " + link);
                }
            }
            for (final RingAllReduce rank : ring.ranks())
            {
                final IllegalStateException unusable = assertThrows(IllegalStateException.class,
                    () -> rank.allReduce(new float[operation.length()], ReduceOp.SUM));
                assertTrue(unusable.getMessage().contains("unusable after an earlier failure"), unusable.getMessage());
            }
        }
    }

    @Test
    void shouldDeliverTheClassicalRingsBitsOverTheClassicalFallbackAfterTheAlarm()
    {
        final RingRun classical = IpcRings.run(IpcRings.context(WORLD_SIZE), OPERATIONS, SEED);
        final RingRun fallback = IpcRings.run(
            IpcRings.context(WORLD_SIZE).linkWrapper(settings(AlarmPolicy.FALLBACK_CLASSICAL).wrapper()), OPERATIONS, SEED);
        final RingRun again = IpcRings.run(
            IpcRings.context(WORLD_SIZE).linkWrapper(settings(AlarmPolicy.FALLBACK_CLASSICAL).wrapper()), OPERATIONS, SEED);

        for (int index = 0; index < OPERATIONS.size(); index++)
        {
            IpcRings.assertSameBits("fallback vs classical ring, " + OPERATIONS.get(index),
                classical.results().get(index), fallback.results().get(index));
        }
        assertEquals(IpcRings.ringLinks(WORLD_SIZE), List.copyOf(fallback.cumulative().keySet()));
        for (final String link : IpcRings.ringLinks(WORLD_SIZE))
        {
            final LedgerSnapshot ledger = fallback.cumulative().get(link);
            assertEquals(classical.cumulative().get(link).get(LedgerCounter.PAYLOAD_BITS), ledger.get(LedgerCounter.PAYLOAD_BITS),
                "the same payload crossed " + link + ": " + ledger);
            if (EAVESDROPPED.equals(link))
            {
                assertEquals(1, ledger.get(LedgerCounter.VERIFICATION_ALARMS), "alarm counted: " + ledger);
                assertEquals(ledger.get(LedgerCounter.PAYLOAD_BITS), ledger.get(LedgerCounter.FALLBACK_CLASSICAL_BITS),
                    "all the payload went classically: " + ledger);
                assertEquals(0, ledger.get(LedgerCounter.EPR_CONSUMED), "no pair of the failed batch carried data: " + ledger);
            }
            else
            {
                assertEquals(0, ledger.get(LedgerCounter.VERIFICATION_ALARMS), ledger.toString());
                assertEquals(0, ledger.get(LedgerCounter.FALLBACK_CLASSICAL_BITS), ledger.toString());
                assertEquals(2.0, ledger.goodputBitsPerQubit(), 0.0, ledger.toString());
            }
        }
        assertEquals(fallback.cumulative(), again.cumulative(), "the same ledgers in a second run");
        assertEquals(fallback.lastOperation(), again.lastOperation(), "the same ledgers of the last all-reduce in a second run");
    }

    private static QuantumLinkSettings settings(final AlarmPolicy policy)
    {
        return QuantumLinkSettings.builder()
            .seed(SEED)
            .eavesdropper(FROM, TO, InterceptResendEavesdropper.everyPair())
            .alarmPolicy(policy)
            .build();
    }

    private static List<Throwable> causes(final Throwable failure)
    {
        assertNotNull(failure, "the rank must fail");
        final List<Throwable> chain = new ArrayList<>();
        for (Throwable t = failure; t != null && !chain.contains(t); t = t.getCause())
        {
            chain.add(t);
        }
        return chain;
    }

    private static String messages(final Throwable failure)
    {
        final StringBuilder sb = new StringBuilder();
        causes(failure).forEach(t -> sb.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage()).append(" | "));
        return sb.toString();
    }

    private static Throwable rootQuantumCause(final Throwable failure)
    {
        return causes(failure).stream().filter(QuantumLinkException.class::isInstance).findFirst().orElse(failure);
    }
}
