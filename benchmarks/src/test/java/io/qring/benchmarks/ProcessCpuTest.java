package io.qring.benchmarks;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcessCpuTest
{
    private static final long BURN_NS = TimeUnit.MILLISECONDS.toNanos(200);

    /**
     * A thread started inside the interval burns 200 ms of its own CPU clock, then parks: the interval
     * must count at least that (minus 5 %), and no more than every core busy for the whole interval.
     */
    @Test
    void shouldCountTheCpuOfAThreadStartedInsideTheInterval() throws InterruptedException
    {
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
        final Map<String, Long> before = ProcessCpu.snapshot();
        worker.start();
        assertTrue(burned.await(30, TimeUnit.SECONDS), "the burner finished");
        final long used = ProcessCpu.usedSince(before);
        final long wallNs = System.nanoTime() - wallStart;
        release.countDown();
        worker.join();

        assertTrue(used >= 0.95 * burnedNs.get(), "counted " + used + " ns for a thread that burned " + burnedNs.get());
        final long ceiling = wallNs * Runtime.getRuntime().availableProcessors() + TimeUnit.MILLISECONDS.toNanos(20);
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
