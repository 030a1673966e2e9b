package io.qring.samples.cli;

import io.qring.samples.QringCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line of a {@code --launch processes} child JVM. */
class ChildCommandTest
{
    @TempDir
    Path directory;

    /** A JVM option no JVM knows stops the children at start, and so the run: the children got it. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldStartTheChildJvmsWithTheJavaOptions()
    {
        final CliRun run = CliRun.run(Map.of(RingCommand.JAVA_OPTS_ENV, "-XX:+QringNoSuchOption"), "allreduce", "--launch", "processes",
            "--ranks", "2", "--elements", "10", "--iterations", "1", "--link", "classical", "--report", directory.toString());

        assertEquals(1, run.status(), run::describe);
        assertTrue(run.err().contains("its JVM exited with status 1 before finishing"), run::describe);
    }

    @Test
    void shouldGiveEveryChildTheJavaOptionsAfterItsDefaultHeapSoAGivenHeapWins()
    {
        final List<String> command = RingCommand.childCommand(List.of("allreduce", "--launch", "processes"),
            Map.of(RingCommand.JAVA_OPTS_ENV, " -Xmx4g\t-Dqring.test=a=b \n-XX:+UseSerialGC "), 3, 1);

        assertEquals(List.of(RingCommand.CHILD_HEAP, "-Xmx4g", "-Dqring.test=a=b", "-XX:+UseSerialGC"), command.subList(1, 5));
        assertEquals(QringCli.JVM_OPENS, command.subList(5, 5 + QringCli.JVM_OPENS.size()));
        assertEquals(List.of(QringCli.class.getName(), "allreduce", "--launch", "processes", "--child-ranks", "3", "--child-rank", "1"),
            command.subList(command.size() - 8, command.size()));
    }

    @Test
    void shouldStartChildrenWithTheDefaultHeapWithoutJavaOptions()
    {
        for (final Map<String, String> environment : List.of(Map.<String, String>of(), Map.of(RingCommand.JAVA_OPTS_ENV, "  ")))
        {
            final List<String> command = RingCommand.childCommand(List.of("mnist"), environment, 2, 0);

            assertEquals(List.of(RingCommand.CHILD_HEAP, QringCli.JVM_OPENS.get(0)), command.subList(1, 3));
        }
    }
}
