package io.qring.benchmarks;

import com.sun.management.OperatingSystemMXBean;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * CPU time of every thread of this process, for differences over an interval. On Linux it reads each
 * task's {@code /proc/self/task/TID/schedstat} (nanoseconds on a CPU), which covers every native thread:
 * the Java threads, JIT compiler and GC threads, and the embedded media driver's. Elsewhere it falls back
 * to the process CPU clock, which may tick coarsely (10 ms where it is read from {@code times()}).
 * A thread that ends inside the interval drops out of it, so a difference may miss a little; the reading
 * itself costs the calling thread well under a millisecond for the ~60 threads of a benchmark run.
 */
final class ProcessCpu
{
    private static final Path TASKS = Path.of("/proc/self/task");
    private static final String WHOLE_PROCESS = "process";

    private ProcessCpu()
    {
    }

    /** @return CPU time so far per thread (task id), ns; or the whole process's under one key. */
    static Map<String, Long> snapshot()
    {
        return snapshot(TASKS);
    }

    /**
     * @param before a {@link #snapshot()} taken earlier.
     * @return CPU time all threads used since then, ns: threads started since count from zero.
     */
    static long usedSince(final Map<String, Long> before)
    {
        return usedSince(TASKS, before);
    }

    /**
     * @param tasks directory of this process's tasks; where it does not exist, the process CPU clock.
     * @return CPU time so far per thread (task id), ns; or the whole process's under one key.
     */
    static Map<String, Long> snapshot(final Path tasks)
    {
        if (!Files.isDirectory(tasks))
        {
            return Map.of(WHOLE_PROCESS, ((OperatingSystemMXBean)ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime());
        }
        final Map<String, Long> cpu = new HashMap<>();
        try (Stream<Path> list = Files.list(tasks))
        {
            for (final Path task : (Iterable<Path>)list::iterator)
            {
                read(task, cpu);
            }
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot read the CPU time of this process's threads under " + tasks, ex);
        }
        return cpu;
    }

    private static void read(final Path task, final Map<String, Long> cpu) throws IOException
    {
        try
        {
            final String schedstat = Files.readString(task.resolve("schedstat"));
            cpu.put(task.getFileName().toString(), Long.parseLong(schedstat.substring(0, schedstat.indexOf(' '))));
        }
        catch (final IOException ex)
        {
            if (Files.exists(task))
            {
                throw ex;
            }
        }
    }

    /**
     * @param tasks  the directory {@code before} was read from.
     * @param before a {@link #snapshot(Path)} of it taken earlier.
     * @return CPU time all threads used since then, ns: threads started since count from zero.
     */
    static long usedSince(final Path tasks, final Map<String, Long> before)
    {
        long used = 0;
        for (final Map.Entry<String, Long> thread : snapshot(tasks).entrySet())
        {
            used += Math.max(0, thread.getValue() - before.getOrDefault(thread.getKey(), 0L));
        }
        return used;
    }
}
