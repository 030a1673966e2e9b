package io.qring.samples.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Options that cannot work are refused before anything runs, and the all-reduce summary's median is a median. */
class CliInputChecksTest
{
    private static final Pattern MEDIAN_AND_MEAN = Pattern.compile("median ([0-9.]+) ms, mean ([0-9.]+) ms");

    @TempDir
    Path directory;

    @Test
    void shouldRefuseTimeoutsOutsideTheirRangeBeforeRunning()
    {
        for (final String[] timeout : new String[][]{{"--operation-timeout", "1e10"}, {"--connect-timeout", "1e-10"}})
        {
            final CliRun run = CliRun.run("allreduce", "--ranks", "2", "--elements", "10", timeout[0], timeout[1]);

            assertEquals(2, run.status(), run::describe);
            assertTrue(run.err().contains("must lie in [0.001, 1000000.0] seconds"), run::describe);
            assertFalse(run.out().contains("all-reduces of"), run::describe);
        }
    }

    /** A quantum link option with only the classical ring would be ignored: it is refused, naming every one given. */
    @Test
    void shouldRefuseQuantumLinkOptionsWhenOnlyTheClassicalRingRuns()
    {
        final String[][] cases = {
            {"--noise", "depolarizing:1e-2"},
            {"--eavesdrop", "1->0", "--alarm-policy", "fallback"},
            {"--t1", "1", "--t2", "1", "--pool-pairs", "65536", "--pair-noise", "werner:0.99", "--verification-fraction", "0.1",
                "--qber-threshold", "0.2"}};
        final String[] expected = {
            "--noise sets the quantum links, and --link classical runs none: drop it or use --link quantum or both",
            "--eavesdrop, --alarm-policy set the quantum links, and --link classical runs none: drop them",
            "--pair-noise, --t1, --t2, --pool-pairs, --verification-fraction, --qber-threshold set the quantum links"};
        for (int i = 0; i < cases.length; i++)
        {
            final List<String> args = new ArrayList<>(List.of("allreduce", "--ranks", "2", "--elements", "10", "--link", "classical"));
            args.addAll(List.of(cases[i]));

            final CliRun run = CliRun.run(args.toArray(String[]::new));

            assertEquals(2, run.status(), run::describe);
            assertTrue(run.err().contains(expected[i]), run::describe);
            assertFalse(run.out().contains("all-reduces of"), "nothing ran: " + run.describe());
        }
        final CliRun quantumToo = CliRun.run("allreduce", "--ranks", "2", "--elements", "10", "--iterations", "1", "--link", "both",
            "--noise", "depolarizing:1e-2", "--report", directory.resolve("report").toString());
        assertEquals(0, quantumToo.status(), quantumToo::describe);
    }

    @Test
    void shouldRefuseAnEavesdropperOnALinkTheRingDoesNotHaveOrWithABadFraction()
    {
        final String[][] cases = {
            {"0->2", "eavesdropper on link 0->2, which a ring of 4 ranks does not have (its links are [0->1, 1->2, 2->3, 3->0])"},
            {"4->0", "eavesdropper on link 4->0, which a ring of 4 ranks does not have"},
            {"1->2:1.5", "intercept fraction must be in [0, 1], got 1.5"},
            {"1-2", "'1-2' is not an eavesdropped link; use FROM->TO (every pair) or FROM->TO:FRACTION, quoted in a shell, " +
                "e.g. '1->2'"},
            {"1-", "'1-' is not an eavesdropped link (a shell reads an unquoted > as a redirection, so the link was cut at it)"},
            {"1->1", "an eavesdropped link runs between two different ranks"}};
        for (final String[] refused : cases)
        {
            final CliRun run = CliRun.run("allreduce", "--ranks", "4", "--elements", "10", "--eavesdrop", refused[0]);

            assertEquals(2, run.status(), run::describe);
            assertTrue(run.err().contains(refused[1]), run::describe);
            assertFalse(run.out().contains("all-reduces of"), "nothing ran: " + run.describe());
        }
    }

    @Test
    void shouldRefuseTheSameEndpointForTwoRanks()
    {
        final CliRun run = CliRun.run(Map.of("QRING_SECRET", "a-test-secret-of-enough-length"), "allreduce",
            "--rank", "0", "--peers", "127.0.0.1:40170,127.0.0.1:40170");

        assertEquals(2, run.status(), run::describe);
        assertTrue(run.err().contains("--peers names 127.0.0.1:40170 twice"), run::describe);
    }

    @Test
    void shouldRefuseAReportDirectoryThatCannotBeWrittenBeforeRunning() throws IOException
    {
        final Path file = Files.writeString(directory.resolve("not-a-directory"), "x");

        final CliRun run = CliRun.run("allreduce", "--ranks", "2", "--elements", "10", "--report", file.resolve("sub").toString());

        assertEquals(2, run.status(), run::describe);
        assertTrue(run.err().contains(file + " is not a writable directory"), run::describe);
        assertFalse(run.out().contains("all-reduces of"), "nothing ran: " + run.describe());
    }

    /** With two all-reduces the median is the mean of both, never the slower one. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldPrintTheMedianOfAnEvenNumberOfAllReducesAsTheMeanOfTheMiddleTwo()
    {
        final CliRun run = CliRun.run("allreduce", "--ranks", "2", "--elements", "100000", "--iterations", "2", "--link", "classical",
            "--report", directory.resolve("report").toString());

        assertEquals(0, run.status(), run::describe);
        final Matcher figures = MEDIAN_AND_MEAN.matcher(run.out());
        assertTrue(figures.find(), run::describe);
        assertEquals(figures.group(2), figures.group(1), "median and mean of two all-reduces");
    }
}
