package io.qring.it;

import io.qring.allreduce.CollectiveMismatchException;
import io.qring.allreduce.RingAllReduce;
import io.qring.allreduce.aeron.EndpointBindException;
import io.qring.allreduce.link.LinkTimeoutException;
import io.qring.allreduce.quantum.AlarmPolicy;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;
import io.qring.it.launcher.RankEvent;
import io.qring.it.launcher.RankLauncher;
import io.qring.it.launcher.RankProcess;
import io.qring.it.rank.RankMain;
import io.qring.it.rank.RankOptions;
import io.qring.it.rank.RankOptions.StopAction;
import io.qring.it.rank.RankOptions.StopPoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import static io.qring.it.ChildRings.RUN_TIMEOUT_NS;
import static io.qring.it.ChildRings.START_TIMEOUT_NS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Failures across rank JVMs over UDP loopback: each must end every rank with a clear error, never with wrong numbers. */
class MultiJvmFaultTest
{
    private static final int WORLD_SIZE = 3;
    /** The all-reduce a rank dies in (the one before completes on every rank). */
    private static final int INTERRUPTED = 1;
    /** Messages of that all-reduce the dying rank hands over first: the descriptors and the first step's chunks. */
    private static final int STOP_AFTER_SENDS = 24;

    /**
     * A rank dies in the middle of all-reduce {@value #INTERRUPTED}, at a fixed point: after handing over
     * {@value #STOP_AFTER_SENDS} of that all-reduce's 90 messages to its next rank (the ring agreement's 2
     * descriptors, then 4 steps of 22 chunks of 64 KiB). It either halts its own JVM there, or freezes there
     * and this test kills it with SIGKILL: a real external kill, landing where the halt does. The rank receiving
     * from the dead one sees its image close (about twice the driver liveness timeout after the death:
     * liveness, then linger; measured 2.2 s at 1 s) and aborts, which tells the remaining rank why. The
     * operation timeout must exceed that detection time, or that remaining rank times out first and can only
     * name the neighbour it waits for.
     *
     * @param death how the rank dies at its stop point.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = StopAction.class, names = {"HALT", "FREEZE"})
    void shouldFailTheOtherRanksNamingAKilledPeerWithinTheOperationTimeout(final StopAction death) throws Exception
    {
        final int victim = 1;
        final long operationTimeoutMs = 6_000;
        final StopPoint stopAt = new StopPoint(death, INTERRUPTED, STOP_AFTER_SENDS);
        final RankOptions options = RankOptions.defaults()
            .withLength(1 << 20)
            .withOperations(INTERRUPTED + 2)
            .withOperationTimeoutMs(operationTimeoutMs)
            .withLivenessTimeoutMs(1_000);
        try (RankLauncher ranks = ChildRings.ring("killed-rank-" + death.name().toLowerCase(Locale.ROOT), WORLD_SIZE,
            rank -> victim == rank ? options.withStopAt(stopAt) : options).start())
        {
            final long start = System.nanoTime();
            ranks.rendezvous(start + START_TIMEOUT_NS);
            final long diedAtNs = ChildRings.awaitDeath(ranks, victim, stopAt, start + RUN_TIMEOUT_NS);
            ChildRings.assertSurvivorsNameTheDeadRank(ranks, victim, INTERRUPTED, diedAtNs, operationTimeoutMs, RUN_TIMEOUT_NS);
        }
    }

    @Test
    void shouldFailEveryRankWithoutPrintingNumbersWhenAnEavesdropperIsCaught() throws Exception
    {
        final RankOptions options = RankOptions.defaults()
            .withLink(RankOptions.LinkKind.QUANTUM)
            .withEavesdropperFrom(0)
            .withAlarmPolicy(AlarmPolicy.ABORT);
        try (RankLauncher ranks = ChildRings.ring("eavesdropper", WORLD_SIZE, rank -> options).start())
        {
            final List<RankEvent> errors = runToFailure(ranks);
            for (final RankProcess rank : ranks.ranks())
            {
                assertEquals(List.of(), rank.events("result"), "nobody prints numbers:\n" + rank.transcript());
            }
            final RankEvent receiver = errors.get(1);
            assertTrue(receiver.json().toString().contains("verification of link 0->1 raised an alarm"), receiver.json().toString());
            for (final RankEvent error : errors)
            {
                assertTrue(error.json().toString().contains("0->1"), "every rank's error traces back to link 0->1: " + error.json());
            }
        }
    }

    @Test
    void shouldRejectMismatchedLengthsOnEveryRankBeforeAnyDataMoves() throws Exception
    {
        final RankOptions options = RankOptions.defaults().withOperations(1);
        try (RankLauncher ranks = ChildRings.ring("mismatched-lengths", WORLD_SIZE,
            rank -> 2 == rank ? options.withLength(options.length() + 1) : options).start())
        {
            final List<RankEvent> errors = runToFailure(ranks);
            for (final RankProcess rank : ranks.ranks())
            {
                final RankEvent error = errors.get(rank.rank());
                assertEquals(CollectiveMismatchException.class.getName(), error.json().path("type").asText());
                final String message = error.json().path("message").asText();
                assertTrue(message.contains("float[" + (options.length() + 1) + "]") && message.contains("no data was exchanged"),
                    message);
                assertEquals(List.of(), rank.events("result"), rank.transcript());
                final List<RankEvent> ledgers = rank.events("ledger");
                assertEquals(1, ledgers.size(), rank.transcript());
                final LedgerSnapshot next = ChildRings.snapshots(ledgers.get(0).json().path("lastOperation")).get(0);
                assertEquals((WORLD_SIZE - 1) * 8L * RingAllReduce.DESCRIPTOR_LENGTH, next.get(LedgerCounter.PAYLOAD_BITS),
                    "only the descriptors moved: " + next);
            }
        }
    }

    @Test
    void shouldNotLetARankWithoutTheSharedSecretJoin() throws Exception
    {
        final int intruder = 2;
        final long connectTimeoutMs = 3_000;
        final RankOptions options = RankOptions.defaults().withConnectTimeoutMs(connectTimeoutMs);
        try (RankLauncher ranks = ChildRings.ring("wrong-secret", WORLD_SIZE, rank -> options)
            .environment(rank -> intruder == rank ? Map.of("QRING_SECRET", "a guess at the secret, 32 bytes") : Map.of())
            .start())
        {
            final List<RankEvent> errors = runToFailure(ranks);
            for (final RankProcess rank : ranks.ranks())
            {
                final RankEvent error = errors.get(rank.rank());
                assertEquals(LinkTimeoutException.class.getName(), error.json().path("type").asText());
                final String message = error.json().path("message").asText();
                assertTrue(message.contains("could not authenticate") && message.contains("shared secret") &&
                    message.contains("BAD_TAG"), message);
                if (rank.rank() != intruder)
                {
                    assertTrue(message.contains("rank " + intruder + " (udp"), "honest rank names the intruder: " + message);
                }
                assertTrue(rank.first("connected").isEmpty(), rank.transcript());
            }
        }
    }

    @Test
    void shouldNameTheEndpointWhenThePortIsInUse() throws Exception
    {
        try (DatagramSocket occupant = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))
        {
            final String endpoint = "127.0.0.1:" + occupant.getLocalPort();
            try (RankLauncher ranks = ChildRings.ring("port-in-use", WORLD_SIZE, rank -> RankOptions.defaults())
                .endpoint(rank -> 0 == rank ? endpoint : RankLauncher.ANY_LOOPBACK_PORT)
                .start())
            {
                final RankProcess blocked = ranks.rank(0);
                final long deadline = System.nanoTime() + START_TIMEOUT_NS;
                assertEquals(Optional.of(RankMain.EXIT_FAILURE), blocked.awaitExit(deadline), ranks.transcripts());
                final RankEvent error = blocked.first("error").orElseThrow(() -> new AssertionError(blocked.transcript()));
                assertEquals(EndpointBindException.class.getName(), error.json().path("type").asText());
                assertTrue(error.json().path("message").asText().contains(endpoint), error.json().toString());
                assertTrue(blocked.first("bound").isEmpty(), blocked.transcript());
            }
        }
    }

    /** Rendezvous, then every rank must report an error and exit with {@link RankMain#EXIT_FAILURE}; returns the errors by rank. */
    private static List<RankEvent> runToFailure(final RankLauncher ranks) throws InterruptedException
    {
        final long start = System.nanoTime();
        ranks.rendezvous(start + START_TIMEOUT_NS);
        final List<Integer> statuses = ranks.awaitExit(start + RUN_TIMEOUT_NS);
        assertEquals(List.of(RankMain.EXIT_FAILURE, RankMain.EXIT_FAILURE, RankMain.EXIT_FAILURE), statuses, ranks.transcripts());
        return ranks.ranks().stream()
            .map(rank -> rank.first("error").orElseThrow(() -> new AssertionError("no error event:\n" + rank.transcript())))
            .toList();
    }
}
