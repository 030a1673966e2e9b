package io.qring.benchmarks;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcessCpuTest
{
    private static final long BURN_NS = TimeUnit.MILLISECONDS.toNanos(200);
    /** The process CPU clock's coarsest tick (where the JDK reads it from {@code times()}). */
    private static final long CLOCK_TICK_NS = TimeUnit.MILLISECONDS.toNanos(10);

    /**
     * A thread started inside the interval burns 200 ms of its own CPU clock, then parks: the interval
     * must count at least that (minus 5 % and one tick of the process clock), and no more than every core
     * busy for the whole interval. Run on the per-task clocks under {@code /proc/self/task}, and on the
     * process CPU clock that stands in for them where that directory does not exist.
     */
    @ParameterizedTest
    @ValueSource(strings = {"/proc/self/task", "/nonexistent/qring/task"})
    void shouldCountTheCpuOfAThreadStartedInsideTheInterval(final String tasksDirectory) throws InterruptedException
    {
        final Path tasks = Path.of(tasksDirectory);
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final CountDownLatch burned = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicLong burnedNs = new AtomicLong();
        final Thread worker = new Thread(() ->
        {
            final long start = threads.getCurrentThreadCpuTime();
            long now = start;
            while (now - start < BURN_NS)
            {
                now = threads.getCurrentThreadCpuTime();
            }
            burnedNs.set(now - start);
            burned.countDown();
            awaitQuietly(release);
        }, "cpu-burner");

        final long wallStart = System.nanoTime();
        final Map<String, Long> before = ProcessCpu.snapshot(tasks);
        worker.start();
        assertTrue(burned.await(30, TimeUnit.SECONDS), "the burner finished");
        final long used = ProcessCpu.usedSince(tasks, before);
        final long wallNs = System.nanoTime() - wallStart;
        release.countDown();
        worker.join();

        assertTrue(used >= 0.95 * burnedNs.get() - CLOCK_TICK_NS, "counted " + used + " ns for a thread that burned " + burnedNs.get());
        final long ceiling = wallNs * Runtime.getRuntime().availableProcessors() + 2 * CLOCK_TICK_NS;
        assertTrue(used <= ceiling, "counted " + used + " ns in " + wallNs + " ns of wall time");
    }

    private static void awaitQuietly(final CountDownLatch latch)
    {
        try
        {
            latch.await();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
