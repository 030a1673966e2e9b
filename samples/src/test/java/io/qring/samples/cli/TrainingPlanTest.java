package io.qring.samples.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the training subcommands say about {@code --batch-size}: the batches the ranks really train on. */
class TrainingPlanTest
{
    @TempDir
    Path directory;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldPrintTheBatchSizeTheRanksTrainOn()
    {
        final CliRun run = CliRun.run("mnist", "--ranks", "2", "--max-train", "400", "--max-test", "100", "--batch-size", "150",
            "--epochs", "1", "--link", "classical", "--no-dl4j-download", "--data-dir", CliRun.mnistCache(),
            "--report", directory.resolve("report").toString());

        assertEquals(0, run.status(), run::describe);
        assertTrue(run.out().contains("1 epochs x 2 iterations of 100 examples per rank (200 examples on rank 0; --batch-size 150)"),
            run::describe);
        assertFalse(run.out().contains("of 150 examples"), run::describe);
    }

    @Test
    void shouldSayInTheHelpHowTheBatchSizeIsChosen()
    {
        for (final String command : new String[]{"mnist", "cifar10"})
        {
            final String help = CliRun.run(command, "--help").out().replaceAll("\\s+", " ");

            assertTrue(help.contains("Largest batch per rank per iteration: an epoch has ceil(floor(training examples / ranks) / N) " +
                "iterations"), help);
            assertTrue(help.contains("a batch holds at most N examples (N + 1 on a rank whose shard holds one example more)"), help);
        }
    }
}
