package io.qring.dl4j;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The frame that carries a rank's encoded updates over the ring. */
class RingEncodingHandlerTest
{
    @Test
    void shouldFrameTheMessageCountThenEachMessageWithItsLength()
    {
        final byte[] frame = RingEncodingHandler.frame(List.of(
            outgoing(new int[] {7, -1, 3}),
            outgoing(null),
            outgoing(new int[] {42})));

        final int[] ints = new int[frame.length / Integer.BYTES];
        ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(ints);
        assertArrayEquals(new int[] {2, 3, 7, -1, 3, 1, 42}, ints);
    }

    @Test
    void shouldRejectAFrameLargerThanAJavaArrayNamingItsSize()
    {
        final int[] message = new int[537_000];
        Arrays.fill(message, 1);
        final List<RingEncodingHandler.Outgoing> workers = new ArrayList<>();
        for (int w = 0; w < 1000; w++)
        {
            workers.add(outgoing(message));
        }

        final IllegalArgumentException failure =
            assertThrows(IllegalArgumentException.class, () -> RingEncodingHandler.frame(workers));

        assertTrue(failure.getMessage().contains("1000 local workers need a frame of 537001001 ints = 2148004004 bytes"),
            failure.getMessage());
    }

    private static RingEncodingHandler.Outgoing outgoing(final int[] message)
    {
        return new RingEncodingHandler.Outgoing(0, 0, 100, DataType.FLOAT, message);
    }
}
