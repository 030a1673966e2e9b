package io.qring.benchmarks;

import io.qring.allreduce.RingAllReduce;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import io.qring.allreduce.link.DelegatingLink;
import io.qring.allreduce.link.Link;
import io.qring.allreduce.link.LinkWrapper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every operation of a measurement is checked, not only the last one. */
class RingMeasurementTest
{
    private static final int RANKS = 3;
    private static final int FLOATS = 6_000;

    /**
     * A ring that alters one reduce-scatter chunk per rank from its second operation on still ends with
     * the same bits on every rank (the error is reduced, then gathered everywhere): only comparing each
     * operation with the first catches it.
     */
    @Test
    void shouldFailWhenALaterOperationOnTheSameInputsEndsWithOtherBits()
    {
        final RingContext corrupting = new RingContext()
            .transport(TransportKind.IPC)
            .worldSize(RANKS)
            .chunkLength(16 * 1024)
            .termLength(256 * 1024)
            .linkWrapper(new LinkWrapper()
            {
                @Override
                public Link wrapNext(final Link link, final int selfRank, final int nextRank)
                {
                    return new FirstChunkFlippingLink(link);
                }

                @Override
                public Link wrapPrevious(final Link link, final int selfRank, final int previousRank)
                {
                    return link;
                }
            });

        final IllegalStateException failure = assertThrows(IllegalStateException.class,
            () -> RingMeasurement.measureTakingTurns(List.of(corrupting), FLOATS, 2, 0, 2));

        assertTrue(failure.getMessage().contains("an operation on the same inputs ended with other bits than the first"),
            failure.getMessage());
    }

    /** Flips the lowest bit of the last byte of the first data message of every collective after the first. */
    private static final class FirstChunkFlippingLink extends DelegatingLink
    {
        private int collectives;
        private boolean flipped;

        FirstChunkFlippingLink(final Link delegate)
        {
            super(delegate);
        }

        @Override
        public void send(final DirectBuffer buffer, final int offset, final int length, final long deadlineNanos)
        {
            if (collectives > 0 && !flipped && length > RingAllReduce.DESCRIPTOR_LENGTH)
            {
                final byte[] copy = new byte[length];
                buffer.getBytes(offset, copy);
                copy[length - 1] ^= 1;
                flipped = true;
                delegate.send(new UnsafeBuffer(copy), 0, length, deadlineNanos);
                return;
            }
            delegate.send(buffer, offset, length, deadlineNanos);
        }

        @Override
        public void flush(final long deadlineNanos)
        {
            delegate.flush(deadlineNanos);
            collectives++;
            flipped = false;
        }
    }
}
