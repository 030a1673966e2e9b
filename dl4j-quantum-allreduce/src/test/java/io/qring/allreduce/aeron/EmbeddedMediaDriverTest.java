package io.qring.allreduce.aeron;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The embedded driver runs in a directory of its own that does not outlive its process, however the process ends. */
class EmbeddedMediaDriverTest
{
    private static final long CHILD_TIMEOUT_S = 60;

    @Test
    void shouldDeleteTheDriverDirectoryWhenTheProcessExitsWithALeaseOpen() throws Exception
    {
        final List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"), ExitWithLeaseOpen.class.getName());
        try (EmbeddedMediaDriver.Lease own = EmbeddedMediaDriver.acquire(TimeUnit.SECONDS.toNanos(5)))
        {
            final Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            final String directory;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8)))
            {
                directory = out.readLine();
            }
            assertTrue(child.waitFor(CHILD_TIMEOUT_S, TimeUnit.SECONDS), "child exited");
            assertEquals(ExitWithLeaseOpen.EXIT_STATUS, child.exitValue());
            assertNotNull(directory, "child printed its driver directory");
            assertTrue(directory.startsWith(ExitWithLeaseOpen.RUNNING), directory);
            final String childDirectory = directory.substring(ExitWithLeaseOpen.RUNNING.length());
            assertNotEquals(own.aeronDirectoryName(), childDirectory, "every process runs its driver in a directory of its own");
            assertFalse(new File(childDirectory).exists(), directory + " was left behind");
            assertTrue(new File(own.aeronDirectoryName()).exists(), "the child's exit leaves this process's driver alone");
        }
    }

    @Test
    void shouldDeleteTheDirectoryAndDropTheHookWhenTheLastLeaseCloses()
    {
        final EmbeddedMediaDriver.Lease first = EmbeddedMediaDriver.acquire(TimeUnit.SECONDS.toNanos(5));
        final File directory = new File(first.aeronDirectoryName());
        try (EmbeddedMediaDriver.Lease second = EmbeddedMediaDriver.acquire(TimeUnit.SECONDS.toNanos(5)))
        {
            assertEquals(first.aeronDirectoryName(), second.aeronDirectoryName());
            first.close();
            assertTrue(directory.exists(), "a lease is still open");
        }
        assertFalse(directory.exists());
        try (EmbeddedMediaDriver.Lease again = EmbeddedMediaDriver.acquire(TimeUnit.SECONDS.toNanos(5)))
        {
            assertTrue(new File(again.aeronDirectoryName()).exists(), "a new driver starts after the last one stopped");
            assertNotEquals(directory.getPath(), again.aeronDirectoryName(), "in a fresh directory");
        }
    }

    /** Child process: takes a lease, prints the driver directory and exits without closing it. */
    static final class ExitWithLeaseOpen
    {
        static final String RUNNING = "driver running in ";
        static final int EXIT_STATUS = 3;

        private ExitWithLeaseOpen()
        {
        }

        /**
         * @param args none.
         */
        public static void main(final String[] args)
        {
            final EmbeddedMediaDriver.Lease lease = EmbeddedMediaDriver.acquire(TimeUnit.SECONDS.toNanos(5));
            System.out.println(RUNNING + lease.aeronDirectoryName());
            System.out.flush();
            System.exit(EXIT_STATUS);
        }
    }
}
