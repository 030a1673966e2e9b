package io.qring.it;

import io.qring.allreduce.LocalRing;
import io.qring.allreduce.ResourceFootprint;
import io.qring.allreduce.aeron.EmbeddedMediaDriver;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import io.qring.allreduce.quantum.QuantumLinkSettings;
import io.qring.channel.ledger.LedgerCounter;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

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
            ResourceFootprint.sumRepeatedly(ring, data, WARM_UP, RUN_TIMEOUT_NS);
            final ResourceFootprint before = ResourceFootprint.measure(Paths.get(directory));
            final long refillsBefore = preSharedPairs(ring);

            ResourceFootprint.sumRepeatedly(ring, data, OPERATIONS, RUN_TIMEOUT_NS);

            assertTrue(preSharedPairs(ring) > refillsBefore, "the pools must have refilled during the measured run");
            ResourceFootprint.measure(Paths.get(directory)).assertNoGrowthSince(before, HEAP_TOLERANCE_BYTES,
                OPERATIONS + " quantum all-reduces");
            final float expected = WORLD_SIZE * (WORLD_SIZE + 1) / 2.0f;
            for (final float[] result : data)
            {
                assertEquals(expected, result[0]);
                assertEquals(expected, result[LENGTH - 1]);
            }
        }
    }

    private static long preSharedPairs(final LocalRing ring)
    {
        return ring.ranks().stream().mapToLong(rank -> rank.linkLedgers().get(0).get(LedgerCounter.EPR_PRE_SHARED)).sum();
    }
}
