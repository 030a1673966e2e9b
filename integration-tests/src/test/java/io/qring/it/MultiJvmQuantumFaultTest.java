package io.qring.it;

import io.qring.allreduce.quantum.QuantumLinkSettings;
import io.qring.it.launcher.RankLauncher;
import io.qring.it.rank.RankOptions;
import io.qring.it.rank.RankOptions.StopAction;
import io.qring.it.rank.RankOptions.StopPoint;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static io.qring.it.ChildRings.RUN_TIMEOUT_NS;
import static io.qring.it.ChildRings.START_TIMEOUT_NS;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A rank halting its JVM mid-all-reduce on a ring of quantum links (three JVMs over UDP loopback, noisy links,
 * so blocks are being repaired when it dies): the others fail naming it within the operation timeout,
 * although each link's own control timeout stays at its default of
 * {@link QuantumLinkSettings#DEFAULT_CONTROL_TIMEOUT_NS 10 s}, and they exit without draining.
 */
class MultiJvmQuantumFaultTest
{
    private static final int WORLD_SIZE = 3;
    private static final int VICTIM = 1;
    /** The all-reduce the victim dies in (the ones before complete on every rank). */
    private static final int INTERRUPTED = 2;
    /**
     * Messages of that all-reduce the victim hands over to its next rank before it halts, about a quarter of
     * its 26: the ring agreement's 2 descriptors and the first step's 6 chunks of 64 KiB (the quantum frames
     * carrying them are counted by the quantum link underneath, not here).
     */
    private static final int STOP_AFTER_SENDS = 8;
    /**
     * Below the links' control timeout, so a survivor stuck behind a repair to the dead rank would
     * overrun it. Well above the ~2.2 s the rank receiving from the dead one takes to see its image close
     * (liveness 1 s, then linger; see MultiJvmFaultTest), so that rank fails naming the dead peer first.
     */
    private static final long OPERATION_TIMEOUT_MS = 6_000;
    /** A survivor must exit this soon after reporting: closing a failed quantum link does not wait for acknowledgements. */
    private static final long EXIT_MARGIN_NS = TimeUnit.SECONDS.toNanos(5);

    @Test
    void shouldFailTheOtherRanksNamingAKilledPeerWithinTheOperationTimeoutOverQuantumLinks() throws Exception
    {
        final StopPoint stopAt = new StopPoint(StopAction.HALT, INTERRUPTED, STOP_AFTER_SENDS);
        final RankOptions options = RankOptions.defaults()
            .withLink(RankOptions.LinkKind.QUANTUM)
            .withDepolarizing(1e-3)
            .withLength(1 << 18)
            .withOperations(INTERRUPTED + 2)
            .withOperationTimeoutMs(OPERATION_TIMEOUT_MS)
            .withLivenessTimeoutMs(1_000);
        assertTrue(TimeUnit.MILLISECONDS.toNanos(OPERATION_TIMEOUT_MS) < options.quantumSettings(WORLD_SIZE).controlTimeoutNs());
        try (RankLauncher ranks = ChildRings.ring("killed-rank-quantum", WORLD_SIZE,
            rank -> VICTIM == rank ? options.withStopAt(stopAt) : options).start())
        {
            final long start = System.nanoTime();
            ranks.rendezvous(start + START_TIMEOUT_NS);
            final long diedAtNs = ChildRings.awaitDeath(ranks, VICTIM, stopAt, start + RUN_TIMEOUT_NS);
            ChildRings.assertSurvivorsNameTheDeadRank(ranks, VICTIM, INTERRUPTED, diedAtNs, OPERATION_TIMEOUT_MS, EXIT_MARGIN_NS);
        }
    }
}
