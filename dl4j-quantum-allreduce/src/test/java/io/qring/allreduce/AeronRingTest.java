package io.qring.allreduce;

import io.qring.allreduce.aeron.EmbeddedMediaDriver;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.qring.allreduce.RingTestSupport.RUN_TIMEOUT_NS;
import static io.qring.allreduce.RingTestSupport.allReduceDoubles;
import static io.qring.allreduce.RingTestSupport.allReduceFloats;
import static io.qring.allreduce.RingTestSupport.assertDoubleResults;
import static io.qring.allreduce.RingTestSupport.assertFloatResults;
import static io.qring.allreduce.RingTestSupport.context;
import static io.qring.allreduce.RingTestSupport.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ring engine over real Aeron links: IPC between threads, and UDP over loopback. */
class AeronRingTest
{
    private static final long SEED = 99;

    static Stream<Arguments> rings()
    {
        return Stream.of(
            Arguments.of(TransportKind.IPC, 2),
            Arguments.of(TransportKind.IPC, 3),
            Arguments.of(TransportKind.IPC, 4),
            Arguments.of(TransportKind.IPC, 8),
            Arguments.of(TransportKind.UDP, 2),
            Arguments.of(TransportKind.UDP, 3));
    }

    @ParameterizedTest
    @MethodSource("rings")
    void shouldAllReduceEveryLengthBitIdenticallyWithinRounding(final TransportKind transport, final int worldSize)
    {
        final String driverDirectory;
        try (LocalRing ring = LocalRing.start(context(transport, worldSize)))
        {
            driverDirectory = EmbeddedMediaDriver.runningDirectory();
            assertTrue(Files.isDirectory(Path.of(driverDirectory)), driverDirectory);
            for (final int length : new int[]{0, 1, worldSize - 1, 7 * worldSize + 3, 100_003})
            {
                assertFloatResults(allReduceFloats(ring, SEED + length, length, ReduceOp.SUM), SEED + length, ReduceOp.SUM);
            }
            assertFloatResults(allReduceFloats(ring, SEED, 5001, ReduceOp.AVERAGE), SEED, ReduceOp.AVERAGE);
            assertDoubleResults(allReduceDoubles(ring, SEED, 5001, ReduceOp.AVERAGE), SEED, ReduceOp.AVERAGE);
        }
        assertNull(EmbeddedMediaDriver.runningDirectory(), "the last rank's close stops the embedded driver");
        assertFalse(Files.exists(Path.of(driverDirectory)), "the stopped driver deletes its directory " + driverDirectory);
    }

    @Test
    void shouldAllReduceOneMillionFloatsOverIpc()
    {
        final int length = 1 << 20;
        try (LocalRing ring = LocalRing.start(context(TransportKind.IPC, 4).chunkLength(256 * 1024).termLength(4 << 20)))
        {
            assertFloatResults(allReduceFloats(ring, SEED, length, ReduceOp.SUM), SEED, ReduceOp.SUM);
            RingAllReduceTest.assertPerRankPayload(ring, length, Float.BYTES, 256 * 1024);
            for (final RingAllReduce rank : ring.ranks())
            {
                assertEquals(RingContext.DEFAULT_SEND_AHEAD, rank.sendAhead(), "a 4 MiB term's producer window holds 6 chunks of 256 KiB");
            }
        }
    }

    @Test
    void shouldSendTwoTimesNMinusOneOverNOfThePayloadPerRankOverUdp()
    {
        try (LocalRing ring = LocalRing.start(context(TransportKind.UDP, 3)))
        {
            allReduceFloats(ring, SEED, 30_000, ReduceOp.SUM);
            RingAllReduceTest.assertPerRankPayload(ring, 30_000, Float.BYTES, 16 * 1024);
        }
    }

    @Test
    void shouldFailEveryOtherRankNamingTheKilledPeerOverIpc()
    {
        assertKilledPeerReported(TransportKind.IPC);
    }

    @Test
    void shouldFailEveryOtherRankNamingTheKilledPeerOverUdp()
    {
        assertKilledPeerReported(TransportKind.UDP);
    }

    private static void assertKilledPeerReported(final TransportKind transport)
    {
        final int worldSize = 4;
        final int victim = 1;
        final long timeoutNs = TimeUnit.SECONDS.toNanos(3);
        try (LocalRing ring = LocalRing.start(context(transport, worldSize).chunkLength(4096)
            .operationTimeoutNs(timeoutNs).linkWrapper(new RingAllReduceTest.CrashingWrapper(victim, 5))))
        {
            final List<LocalRing.Outcome<float[]>> outcomes = ring.runEach(rank ->
            {
                final float[] data = floats(SEED, rank.rank(), 200_000);
                rank.allReduce(data, ReduceOp.SUM);
                return data;
            }, RUN_TIMEOUT_NS);
            RingAllReduceTest.assertKilledPeerReported(outcomes, victim, timeoutNs);
        }
    }
}
