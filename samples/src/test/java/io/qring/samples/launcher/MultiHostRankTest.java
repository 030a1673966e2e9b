package io.qring.samples.launcher;

import io.qring.allreduce.LedgerJson;
import io.qring.allreduce.RingAllReduce;
import io.qring.allreduce.config.LinkRateModel;
import io.qring.allreduce.config.TransportKind;
import io.qring.allreduce.quantum.AlarmPolicy;
import io.qring.allreduce.quantum.QuantumLinkSettings;
import io.qring.channel.ledger.LedgerSnapshot;
import io.qring.channel.noise.PauliChannel;
import io.qring.channel.verify.VerificationSettings;
import io.qring.samples.QringCli;
import io.qring.samples.training.AllReduceJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two ranks of a ring across hosts on loopback: rank 0 in this JVM, rank 1 in a child JVM ({@link OtherRank}),
 * as on real hosts, where each rank has the process's media driver to itself.
 */
class MultiHostRankTest
{
    private static final long SEED = 42;
    private static final byte[] SECRET = "multi-host test secret".getBytes(StandardCharsets.UTF_8);
    private static final List<LinkKind> LINKS = List.of(LinkKind.QUANTUM, LinkKind.CLASSICAL);

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldCountWhatTheLinksCarriedUntilTheRingClosedButNotTheResults() throws Exception
    {
        final List<String> peers = LoopbackEndpoints.free(2);
        final Process other = new ProcessBuilder(otherRankCommand(peers)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        final List<String> otherClosedLedgers = new ArrayList<>();
        final Thread reader = new Thread(() -> otherClosedLedgers.addAll(readLines(other, "[")), "rank-1-output");
        reader.start();
        final List<RingAllReduce> rings = new CopyOnWriteArrayList<>();
        final List<RunOutcome> outcomes;
        try
        {
            outcomes = MultiHostRank.run(plan(), 0, peers, SECRET, capturing(rings), (kind, ranks) -> ProgressSink.NONE).orElseThrow();
            assertTrue(other.waitFor(60, TimeUnit.SECONDS), "rank 1 finished");
            reader.join();
        }
        finally
        {
            other.destroyForcibly();
        }

        assertEquals(0, other.exitValue(), "rank 1's exit status");
        assertEquals(LINKS, outcomes.stream().map(RunOutcome::kind).toList());
        assertEquals(LINKS.size(), otherClosedLedgers.size(), "rank 1 reports its closed ring's ledgers for every run");
        for (int run = 0; run < outcomes.size(); run++)
        {
            final RunOutcome outcome = outcomes.get(run);
            final String label = outcome.kind().label() + " run";
            assertTrue(outcome.ranksAgree(), label);
            assertEquals(List.of(0, 1), outcome.ranks().stream().map(RankResult::rank).toList(), label);
            assertEquals(rings.get(run).linkLedgers(), lastLedgers(outcome.ranks().get(0)), label + ": rank 0 counts until its ring closed");
            assertEquals(otherClosedLedgers.get(run), json(lastLedgers(outcome.ranks().get(1))),
                label + ": rank 1 counts until its ring closed");
        }
    }

    /** Hosts started with different job settings both fail at connect, naming the setting, and nothing runs. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldRefuseToRunWhenTheHostsWereStartedWithDifferentJobSettings() throws Exception
    {
        final List<String> peers = LoopbackEndpoints.free(2);
        final List<String> command = otherRankCommand(peers);
        command.add("job.iterations=4");
        final Process other = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        final List<String> otherOutput = new ArrayList<>();
        final Thread reader = new Thread(() -> otherOutput.addAll(readLines(other, "rank 1 could not join")), "rank-1-output");
        reader.start();
        final List<RingAllReduce> rings = new CopyOnWriteArrayList<>();
        try
        {
            final RunFailedException failed = assertThrows(RunFailedException.class, () -> MultiHostRank.run(
                plan(Map.of("job.iterations", "3")), 0, peers, SECRET, capturing(rings), (kind, ranks) -> ProgressSink.NONE));
            assertTrue(failed.getMessage().startsWith("rank 0 could not join the quantum ring: rank 0 and rank 1 (udp " + peers.get(1) +
                ") run with different ring settings, as rank 0 / rank 1: job.iterations = 3 / 4 (start every rank with the " +
                "same settings)"), failed.getMessage());
            assertTrue(other.waitFor(60, TimeUnit.SECONDS), "rank 1 finished");
            reader.join();
        }
        finally
        {
            other.destroyForcibly();
        }
        assertEquals(OtherRank.FAILED, other.exitValue(), "rank 1's exit status");
        assertEquals(1, otherOutput.size(), String.join("\n", otherOutput));
        assertTrue(otherOutput.get(0).contains("as rank 1 / rank 0: job.iterations = 4 / 3"), otherOutput.get(0));
        assertEquals(List.of(), rings, "no job ran");
    }

    /**
     * Rank 1: runs the plan, prints the ledgers of each run's closed ring (one line per run) and exits; or,
     * if the plan fails, prints why and exits with {@link #FAILED}.
     */
    static final class OtherRank
    {
        static final int FAILED = 3;

        private OtherRank()
        {
        }

        /**
         * @param args every rank's endpoint, in rank order, then optionally one shared {@code name=value} setting.
         */
        public static void main(final String[] args)
        {
            final List<RingAllReduce> rings = new ArrayList<>();
            final Map<String, String> shared = args.length > 2 ?
                Map.of(args[2].substring(0, args[2].indexOf('=')), args[2].substring(args[2].indexOf('=') + 1)) : Map.of();
            try
            {
                MultiHostRank.run(plan(shared), 1, List.of(args).subList(0, 2), SECRET, capturing(rings),
                    (kind, ranks) -> ProgressSink.NONE);
            }
            catch (final RunFailedException ex)
            {
                System.out.println(ex.getMessage());
                System.out.flush();
                System.exit(FAILED);
            }
            for (final RingAllReduce ring : rings)
            {
                System.out.println(json(ring.linkLedgers()));
            }
            System.out.flush();
            System.exit(0);
        }
    }

    private static RankJob capturing(final List<RingAllReduce> rings)
    {
        final AllReduceJob job = new AllReduceJob(4096, 3, SEED);
        return (ring, hooks) ->
        {
            rings.add(ring);
            return job.run(ring, hooks);
        };
    }

    private static RingPlan plan()
    {
        return plan(Map.of());
    }

    private static RingPlan plan(final Map<String, String> shared)
    {
        final QuantumLinkPlan noisy = new QuantumLinkPlan(PauliChannel.depolarizing(1e-3), PauliChannel.NOISELESS, 0, 0,
            QuantumLinkSettings.DEFAULT_POOL_CAPACITY_PAIRS, QuantumLinkSettings.DEFAULT_VERIFICATION_FRACTION,
            VerificationSettings.defaults(), AlarmPolicy.ABORT, List.of());
        return new RingPlan(2, TransportKind.UDP, LINKS, noisy, SEED, Duration.ofSeconds(30), Duration.ofSeconds(30),
            new LinkRateModel(1e9, 1e9, 1e-4), false, shared);
    }

    private static List<String> otherRankCommand(final List<String> peers)
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx256m");
        command.addAll(QringCli.JVM_OPENS);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(OtherRank.class.getName());
        command.addAll(peers);
        return command;
    }

    /** @return the lines of the process's output that start with {@code prefix} (it also logs there). */
    private static List<String> readLines(final Process process, final String prefix)
    {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
        {
            return in.lines().filter(line -> line.startsWith(prefix)).toList();
        }
        catch (final IOException ex)
        {
            return List.of();
        }
    }

    private static List<LedgerSnapshot> lastLedgers(final RankResult result)
    {
        return result.ledgers().get(result.iterations() - 1);
    }

    private static String json(final List<LedgerSnapshot> ledgers)
    {
        return ledgers.stream().map(LedgerJson::toJson).collect(Collectors.joining(",", "[", "]"));
    }
}
