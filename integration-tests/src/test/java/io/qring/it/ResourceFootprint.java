package io.qring.it;

import io.qring.allreduce.LocalRing;
import io.qring.allreduce.ReduceOp;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a long run of all-reduces must not grow: heap after GC, direct buffer memory, and the regular
 * files (count and bytes) under the embedded media driver's directory in /dev/shm.
 *
 * @param driverDirectory the embedded media driver's directory.
 * @param heapBytes       heap in use after GC, the least of three collections.
 * @param directBytes     direct buffer memory in use.
 * @param driverFiles     regular files under the driver directory.
 * @param driverFileBytes their total size.
 */
record ResourceFootprint(Path driverDirectory, long heapBytes, long directBytes, long driverFiles, long driverFileBytes)
{
    /**
     * Measures the process now.
     *
     * @param driverDirectory the embedded media driver's directory.
     * @return the footprint.
     * @throws IOException if the directory cannot be listed.
     */
    static ResourceFootprint measure(final Path driverDirectory) throws IOException
    {
        try (Stream<Path> paths = Files.walk(driverDirectory))
        {
            final List<Path> regular = paths.filter(Files::isRegularFile).toList();
            long bytes = 0;
            for (final Path path : regular)
            {
                bytes += Files.size(path);
            }
            return new ResourceFootprint(driverDirectory, heapAfterGc(), directMemory(), regular.size(), bytes);
        }
    }

    /**
     * On every rank, {@code times} times: fills the rank's array with rank + 1 and SUM-all-reduces it.
     *
     * @param ring      the ring.
     * @param data      one array per rank.
     * @param times     all-reduces per rank.
     * @param timeoutNs longest the whole run may take.
     */
    static void sumRepeatedly(final LocalRing ring, final float[][] data, final int times, final long timeoutNs)
    {
        ring.run(rank ->
        {
            final float[] values = data[rank.rank()];
            for (int i = 0; i < times; i++)
            {
                Arrays.fill(values, rank.rank() + 1);
                rank.allReduce(values, ReduceOp.SUM);
            }
            return null;
        }, timeoutNs);
    }

    /**
     * Asserts that nothing grew since {@code before}: heap by less than the tolerance (after GC it
     * wobbles by tens of KiB), direct memory and the driver's files not at all.
     *
     * @param before             the footprint at the start of the run.
     * @param heapToleranceBytes heap growth allowed.
     * @param run                what ran in between, for the messages.
     */
    void assertNoGrowthSince(final ResourceFootprint before, final long heapToleranceBytes, final String run)
    {
        final long heapGrowth = heapBytes - before.heapBytes;
        final long directGrowth = directBytes - before.directBytes;
        assertTrue(heapGrowth < heapToleranceBytes, "heap after GC grew by " + heapGrowth + " bytes over " + run);
        assertTrue(directGrowth <= 0, "direct buffer memory grew by " + directGrowth + " bytes over " + run);
        assertEquals(before.driverFiles, driverFiles, "files under " + driverDirectory + " after " + run);
        assertEquals(before.driverFileBytes, driverFileBytes, "bytes under " + driverDirectory + " after " + run);
    }

    private static long heapAfterGc()
    {
        final Runtime runtime = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++)
        {
            System.gc();
            used = Math.min(used, runtime.totalMemory() - runtime.freeMemory());
        }
        return used;
    }

    private static long directMemory()
    {
        long used = 0;
        for (final BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class))
        {
            if ("direct".equals(pool.getName()))
            {
                used += pool.getMemoryUsed();
            }
        }
        return used;
    }
}
