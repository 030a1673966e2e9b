package io.qring.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;
import io.qring.channel.ledger.LinkLedger;
import io.qring.it.launcher.RankEvent;
import io.qring.it.launcher.RankLauncher;
import io.qring.it.launcher.RankProcess;
import io.qring.it.rank.RankData;
import io.qring.it.rank.RankMain;
import io.qring.it.rank.RankOptions;
import io.qring.it.rank.RankOptions.StopAction;
import io.qring.it.rank.RankOptions.StopPoint;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs rings of child JVMs ({@link RankMain}) and reads back what they reported. */
final class ChildRings
{
    /** Longest a whole successful child ring may take, start to exit. */
    static final long RUN_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(120);
    /** Longest the children may take to start and bind. */
    static final long START_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);
    /** Slack for an error to travel, be printed and be read, on top of a configured timeout. */
    static final long REPORT_MARGIN_NS = TimeUnit.SECONDS.toNanos(2);
    /** Longest a rank may take to be gone after its {@code stop} event (halting), or after the kill (frozen). */
    static final long STOP_EXIT_NS = TimeUnit.SECONDS.toNanos(10);
    /** Exit status of a process killed by SIGKILL, as {@link Process#exitValue()} reports it (128 + 9). */
    static final int SIGKILL_STATUS = 137;

    private ChildRings()
    {
    }

    /**
     * Waits for {@code victim} to reach its stop point and die there: a {@link StopAction#HALT halting} rank
     * must halt its JVM by itself ({@link RankMain#EXIT_HALTED}); a {@link StopAction#FREEZE freezing} one is
     * killed here (SIGKILL) as soon as it reports that it froze, so the kill lands in the same place every run.
     *
     * @param ranks      the ring.
     * @param victim     the rank with the stop point.
     * @param stopAt     its stop point.
     * @param deadlineNs {@link System#nanoTime()} deadline for reaching it.
     * @return when it died, {@link System#nanoTime()}: when its {@code stop} event arrived (it halts right after
     *         printing it), or just before the kill.
     * @throws InterruptedException if interrupted while waiting.
     */
    static long awaitDeath(final RankLauncher ranks, final int victim, final StopPoint stopAt, final long deadlineNs)
        throws InterruptedException
    {
        final RankProcess dead = ranks.rank(victim);
        final Optional<RankEvent> stop = dead.await(e -> e.is("stop"), deadlineNs);
        assertTrue(stop.isPresent(), "rank " + victim + " did not reach its stop point " + stopAt.text() + ":\n" +
            ranks.transcripts());
        assertEquals(stopAt.operation(), stop.get().operation(), dead.transcript());
        final boolean frozen = StopAction.FREEZE == stopAt.action();
        final long diedAtNs = frozen ? dead.kill() : stop.get().receivedNs();
        assertEquals(Optional.of(frozen ? SIGKILL_STATUS : RankMain.EXIT_HALTED), dead.awaitExit(diedAtNs + STOP_EXIT_NS),
            "rank " + victim + " must be gone:\n" + ranks.transcripts());
        return diedAtNs;
    }

    /**
     * After {@code victim} died during all-reduce {@code interrupted}: every other rank reports an
     * error naming it within the operation timeout of its death (plus {@link #REPORT_MARGIN_NS}), reports no
     * result of that all-reduce, and exits with failure within {@code exitMarginNs} of its report.
     *
     * @param ranks              the ring.
     * @param victim             the dead rank.
     * @param interrupted        index of the all-reduce it died in.
     * @param diedAtNs           when it died, {@link System#nanoTime()} (see {@link #awaitDeath}).
     * @param operationTimeoutMs the ranks' operation timeout.
     * @param exitMarginNs       how soon after its report a survivor must have exited.
     * @throws InterruptedException if interrupted while waiting for the survivors.
     */
    static void assertSurvivorsNameTheDeadRank(
        final RankLauncher ranks,
        final int victim,
        final int interrupted,
        final long diedAtNs,
        final long operationTimeoutMs,
        final long exitMarginNs) throws InterruptedException
    {
        for (final RankProcess survivor : ranks.ranks())
        {
            if (survivor.rank() == victim)
            {
                continue;
            }
            final Optional<RankEvent> error = survivor.await(e -> e.is("error"),
                diedAtNs + TimeUnit.MILLISECONDS.toNanos(operationTimeoutMs) + REPORT_MARGIN_NS);
            assertTrue(error.isPresent(), "rank " + survivor.rank() + " reported no error within " + operationTimeoutMs +
                " ms + margin of its death:\n" + ranks.transcripts());
            final String message = error.get().json().path("message").asText();
            assertTrue(message.contains("rank " + victim + " (udp 127.0.0.1:"), "must name the dead peer:\n" + ranks.transcripts());
            assertTrue(survivor.events("result").stream().allMatch(e -> e.operation() < interrupted),
                "no result of the interrupted all-reduce:\n" + survivor.transcript());
            assertEquals(Optional.of(RankMain.EXIT_FAILURE), survivor.awaitExit(error.get().receivedNs() + exitMarginNs),
                survivor.transcript());
        }
    }

    /**
     * Spawns a ring of child ranks over UDP loopback, stderr logged to {@code target/rank-logs/<name>}.
     *
     * @param name      name of the run (log directory).
     * @param worldSize ranks.
     * @param options   each rank's options.
     * @return the launcher; close it.
     */
    static RankLauncher.Builder ring(final String name, final int worldSize, final IntFunction<RankOptions> options)
    {
        return RankLauncher.builder()
            .worldSize(worldSize)
            .mainClass(RankMain.class)
            .args(rank -> options.apply(rank).toArgs())
            .logDirectory(Paths.get("target", "rank-logs", name));
    }

    /**
     * Runs a ring that must succeed: every rank exits 0 after reporting every result.
     *
     * @param name      name of the run.
     * @param worldSize ranks.
     * @param options   options of every rank (its result directory must be set).
     * @return the results and ledgers.
     * @throws InterruptedException if interrupted.
     */
    static ChildRingRun runToCompletion(final String name, final int worldSize, final RankOptions options)
        throws InterruptedException
    {
        try (RankLauncher ranks = ring(name, worldSize, rank -> options).start())
        {
            final long start = System.nanoTime();
            ranks.rendezvous(start + START_TIMEOUT_NS);
            ranks.release(start + RUN_TIMEOUT_NS);
            final List<Integer> statuses = ranks.awaitExit(start + RUN_TIMEOUT_NS);
            for (int rank = 0; rank < worldSize; rank++)
            {
                assertEquals(0, statuses.get(rank), ranks.transcripts());
            }
            final Path directory = Paths.get(options.resultDirectory());
            final List<List<float[]>> results = new ArrayList<>();
            final List<List<LedgerSnapshot>> lastLedgers = new ArrayList<>();
            final List<List<String>> hashes = new ArrayList<>();
            for (final RankProcess rank : ranks.ranks())
            {
                final List<float[]> perOperation = new ArrayList<>();
                final List<String> perOperationHash = new ArrayList<>();
                final List<RankEvent> reported = rank.events("result");
                assertEquals(options.operations(), reported.size(), rank.transcript());
                for (int operation = 0; operation < options.operations(); operation++)
                {
                    final float[] values = RankData.readResult(directory, rank.rank(), operation);
                    final String sha = reported.get(operation).json().path("sha256").asText();
                    assertEquals(RankData.sha256(RankData.rawBits(values)), sha, "file and reported hash of rank " + rank.rank());
                    perOperation.add(values);
                    perOperationHash.add(sha);
                }
                results.add(perOperation);
                hashes.add(perOperationHash);
                final List<RankEvent> ledgers = rank.events("ledger");
                assertTrue(!ledgers.isEmpty(), rank.transcript());
                lastLedgers.add(snapshots(ledgers.get(ledgers.size() - 1).json().path("lastOperation")));
            }
            return new ChildRingRun(results, hashes, lastLedgers);
        }
    }

    /**
     * @param array a JSON array of ledger snapshots as {@link LedgerSnapshot} exports them.
     * @return the snapshots.
     */
    static List<LedgerSnapshot> snapshots(final JsonNode array)
    {
        final List<LedgerSnapshot> snapshots = new ArrayList<>();
        for (final JsonNode node : array)
        {
            final LinkLedger ledger = new LinkLedger(node.path("link").asText());
            for (final LedgerCounter counter : LedgerCounter.values())
            {
                ledger.add(counter, node.path(counter.key()).asLong());
            }
            ledger.capacityBitsPerQubit(node.path("capacityBitsPerQubit").asDouble());
            snapshots.add(ledger.snapshot());
        }
        return snapshots;
    }

    /**
     * @param perRank snapshots reported by each rank.
     * @return the snapshots merged by link name (a quantum link's two endpoints each count their part).
     */
    static Map<String, LedgerSnapshot> byLink(final List<List<LedgerSnapshot>> perRank)
    {
        final Map<String, List<LedgerSnapshot>> grouped = new TreeMap<>();
        perRank.stream().flatMap(List::stream).forEach(s -> grouped.computeIfAbsent(s.link(), k -> new ArrayList<>()).add(s));
        final Map<String, LedgerSnapshot> merged = new TreeMap<>();
        grouped.forEach((link, snapshots) -> merged.put(link, LedgerSnapshot.merge(link, snapshots)));
        return merged;
    }

    /**
     * What a successful child ring reported.
     *
     * @param results             [rank][operation] result floats, read from the raw-bits files.
     * @param hashes              [rank][operation] reported SHA-256 of the raw bits.
     * @param lastOperationLedgers [rank] snapshots of the rank's two links over the last operation.
     */
    record ChildRingRun(List<List<float[]>> results, List<List<String>> hashes, List<List<LedgerSnapshot>> lastOperationLedgers)
    {
    }
}
