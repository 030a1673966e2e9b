package io.qring.benchmarks;

import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The raw Aeron ring yardstick: one figure per timed repetition, and a failing rank stops the run promptly. */
class RawAeronRingThroughputTest
{
    private static final int TERM_LENGTH = 256 * 1024;

    @ParameterizedTest
    @EnumSource(value = TransportKind.class, names = {"IPC", "UDP"})
    void shouldMeasureOneLinkOfALoadedRingPerRepetition(final TransportKind transport)
    {
        final double[] throughput = assertTimeoutPreemptively(Duration.ofSeconds(60),
            () -> RawAeronRingThroughput.measure(context(transport, 3), 16 * 1024, 1 << 20, 1, 3));

        assertEquals(3, throughput.length);
        for (final double value : throughput)
        {
            assertTrue(value > 0 && Double.isFinite(value), "bytes per second " + value);
        }
    }

    @Test
    void shouldStopEveryRankWhenOneCannotSend()
    {
        final int tooLong = RingContext.maxMessageLength(TERM_LENGTH) + 1024;

        final IllegalStateException failure = assertTimeoutPreemptively(Duration.ofSeconds(30),
            () -> assertThrows(IllegalStateException.class,
                () -> RawAeronRingThroughput.measure(context(TransportKind.IPC, 2), tooLong, tooLong, 0, 1)));

        assertInstanceOf(IllegalArgumentException.class, failure.getCause(), "the rank's rejected offer is the cause");
    }

    private static RingContext context(final TransportKind transport, final int ranks)
    {
        return new RingContext()
            .transport(transport)
            .worldSize(ranks)
            .chunkLength(16 * 1024)
            .termLength(TERM_LENGTH)
            .driverLivenessTimeoutNs(TimeUnit.SECONDS.toNanos(2));
    }
}
