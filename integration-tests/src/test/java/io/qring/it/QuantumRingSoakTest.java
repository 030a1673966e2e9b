package io.qring.it;

import io.qring.allreduce.LocalRing;
import io.qring.allreduce.ReduceOp;
import io.qring.allreduce.aeron.EmbeddedMediaDriver;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import io.qring.allreduce.quantum.QuantumLinkSettings;
import io.qring.channel.ledger.LedgerCounter;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 1,000 consecutive all-reduces on one in-process IPC ring with quantum links (the classical ring's
 * soak is {@code AeronRingTest} in dl4j-quantum-allreduce): nothing may grow.
 */
class QuantumRingSoakTest
{
    private static final int WORLD_SIZE = 3;
    private static final int LENGTH = 4_096;
    private static final int WARM_UP = 200;
    private static final int OPERATIONS = 1_000;
    /** Heap after GC may wobble (measured: +32 KiB over 1,000) but a leak of 2 KiB per all-reduce must fail. */
    private static final long HEAP_TOLERANCE_BYTES = 2L << 20;
    private static final long RUN_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(240);

    /**
     * After {@value #WARM_UP} warm-up all-reduces (which also cycle every EPR pool through refills), the
     * next {@value #OPERATIONS} must leave heap after GC within {@link #HEAP_TOLERANCE_BYTES}, direct
     * buffer memory unchanged (0 bytes tolerance), and the number and total size of the files under
     * the embedded driver's /dev/shm directory unchanged (0 tolerance).
     */
    @Test
    void shouldRunAThousandQuantumAllReducesWithoutGrowingHeapDirectMemoryOrDriverFiles() throws IOException
    {
        final RingContext context = new RingContext()
            .transport(TransportKind.IPC)
            .worldSize(WORLD_SIZE)
            .chunkLength(16 * 1024)
            .termLength(256 * 1024)
            .operationTimeoutNs(TimeUnit.SECONDS.toNanos(10))
            .linkWrapper(QuantumLinkSettings.builder().poolCapacityPairs(1 << 18).build().wrapper());
        try (LocalRing ring = LocalRing.start(context))
        {
            final String directory = EmbeddedMediaDriver.runningDirectory();
            assertNotNull(directory);
            final float[][] data = new float[WORLD_SIZE][LENGTH];
            runRepeatedly(ring, data, WARM_UP);
            final long heapBefore = heapAfterGc();
            final long directBefore = directMemory();
            final long[] filesBefore = files(Paths.get(directory));
            final long refillsBefore = preSharedPairs(ring);

            runRepeatedly(ring, data, OPERATIONS);

            final long heapGrowth = heapAfterGc() - heapBefore;
            final long directGrowth = directMemory() - directBefore;
            final long[] filesAfter = files(Paths.get(directory));
            assertTrue(preSharedPairs(ring) > refillsBefore, "the pools must have refilled during the measured run");
            assertTrue(heapGrowth < HEAP_TOLERANCE_BYTES, "heap after GC grew by " + heapGrowth + " bytes");
            assertTrue(directGrowth <= 0, "direct buffer memory grew by " + directGrowth + " bytes");
            assertEquals(filesBefore[0], filesAfter[0], "files under " + directory);
            assertEquals(filesBefore[1], filesAfter[1], "bytes under " + directory);
            final float expected = WORLD_SIZE * (WORLD_SIZE + 1) / 2.0f;
            for (final float[] result : data)
            {
                assertEquals(expected, result[0]);
                assertEquals(expected, result[LENGTH - 1]);
            }
        }
    }

    private static void runRepeatedly(final LocalRing ring, final float[][] data, final int times)
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
        }, RUN_TIMEOUT_NS);
    }

    private static long preSharedPairs(final LocalRing ring)
    {
        return ring.ranks().stream().mapToLong(rank -> rank.linkLedgers().get(0).get(LedgerCounter.EPR_PRE_SHARED)).sum();
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

    /** @return number of regular files and their total bytes under {@code directory}. */
    private static long[] files(final Path directory) throws IOException
    {
        try (Stream<Path> paths = Files.walk(directory))
        {
            final List<Path> regular = paths.filter(Files::isRegularFile).toList();
            long bytes = 0;
            for (final Path path : regular)
            {
                bytes += Files.size(path);
            }
            return new long[]{regular.size(), bytes};
        }
    }
}
