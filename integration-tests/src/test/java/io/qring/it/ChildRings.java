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

    private ChildRings()
    {
    }

    /**
     * After {@code victim} was killed during all-reduce {@code interrupted}: every other rank reports an
     * error naming it within the operation timeout of the kill (plus {@link #REPORT_MARGIN_NS}), reports no
     * result of that all-reduce, and exits with failure within {@code exitMarginNs} of its report.
     *
     * @param ranks              the ring.
     * @param victim             the killed rank.
     * @param interrupted        index of the all-reduce it died in.
     * @param killedAtNs         when it was killed, {@link System#nanoTime()}.
     * @param operationTimeoutMs the ranks' operation timeout.
     * @param exitMarginNs       how soon after its report a survivor must have exited.
     * @throws InterruptedException if interrupted while waiting for the survivors.
     */
    static void assertSurvivorsNameTheKilledRank(
        final RankLauncher ranks,
        final int victim,
        final int interrupted,
        final long killedAtNs,
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
                killedAtNs + TimeUnit.MILLISECONDS.toNanos(operationTimeoutMs) + REPORT_MARGIN_NS);
            assertTrue(error.isPresent(), "rank " + survivor.rank() + " reported no error within " + operationTimeoutMs +
                " ms + margin of the kill:\n" + ranks.transcripts());
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
