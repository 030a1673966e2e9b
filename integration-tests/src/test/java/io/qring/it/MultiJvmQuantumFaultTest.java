package io.qring.it;

import io.qring.allreduce.quantum.QuantumLinkSettings;
import io.qring.it.launcher.RankEvent;
import io.qring.it.launcher.RankLauncher;
import io.qring.it.launcher.RankProcess;
import io.qring.it.rank.RankOptions;
import org.junit.jupiter.api.Test;

import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static io.qring.it.ChildRings.RUN_TIMEOUT_NS;
import static io.qring.it.ChildRings.START_TIMEOUT_NS;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A rank killed mid-all-reduce on a ring of quantum links (three JVMs over UDP loopback, noisy links, so
 * blocks are being repaired when it dies): the others fail naming it within the operation timeout,
 * although each link's own control timeout stays at its default of
 * {@link QuantumLinkSettings#DEFAULT_CONTROL_TIMEOUT_NS 10 s}, and they exit without draining.
 */
class MultiJvmQuantumFaultTest
{
    private static final int WORLD_SIZE = 3;
    private static final int VICTIM = 1;
    /** The all-reduce the victim dies in, a quarter of the way through (judging by how long the one before took). */
    private static final int INTERRUPTED = 2;
    /**
     * Below the links' control timeout, so a survivor stuck behind a repair to the dead rank would
     * overrun it. Above the ~2.2 s the rank receiving from the dead one takes to see its image close
     * (liveness 1 s, then linger; see MultiJvmFaultTest), so that rank fails naming the dead peer first.
     */
    private static final long OPERATION_TIMEOUT_MS = 4_000;
    /** A survivor must exit this soon after reporting: closing a failed quantum link does not wait for acknowledgements. */
    private static final long EXIT_MARGIN_NS = TimeUnit.SECONDS.toNanos(5);

    @Test
    void shouldFailTheOtherRanksNamingAKilledPeerWithinTheOperationTimeoutOverQuantumLinks() throws Exception
    {
        final RankOptions options = RankOptions.defaults()
            .withLink(RankOptions.LinkKind.QUANTUM)
            .withDepolarizing(1e-3)
            .withLength(1 << 18)
            .withOperations(1_000)
            .withOperationTimeoutMs(OPERATION_TIMEOUT_MS)
            .withLivenessTimeoutMs(1_000);
        assertTrue(TimeUnit.MILLISECONDS.toNanos(OPERATION_TIMEOUT_MS) < options.quantumSettings(WORLD_SIZE).controlTimeoutNs());
        try (RankLauncher ranks = ChildRings.ring("killed-rank-quantum", WORLD_SIZE, rank -> options).start())
        {
            final long start = System.nanoTime();
            ranks.rendezvous(start + START_TIMEOUT_NS);
            final RankProcess dead = ranks.rank(VICTIM);
            final Optional<RankEvent> interrupted = dead.await(e -> e.is("started") && e.operation() == INTERRUPTED,
                start + RUN_TIMEOUT_NS);
            assertTrue(interrupted.isPresent(), ranks.transcripts());
            final long operationNs = interrupted.get().receivedNs() - dead.events("started").get(INTERRUPTED - 1).receivedNs();
            TimeUnit.NANOSECONDS.sleep(operationNs / 4);
            ChildRings.assertSurvivorsNameTheKilledRank(ranks, VICTIM, INTERRUPTED, dead.kill(), OPERATION_TIMEOUT_MS, EXIT_MARGIN_NS);
        }
    }
}
