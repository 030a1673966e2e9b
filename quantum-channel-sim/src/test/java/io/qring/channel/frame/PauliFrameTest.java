package io.qring.channel.frame;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PauliFrameTest
{
    @Test
    void shouldSizeFramesInWholeWords()
    {
        assertEquals(0, PauliFrame.wordsFor(0));
        assertEquals(1, PauliFrame.wordsFor(1));
        assertEquals(1, PauliFrame.wordsFor(32));
        assertEquals(2, PauliFrame.wordsFor(33));
        assertThrows(IllegalArgumentException.class, () -> PauliFrame.wordsFor(-1));
        assertThrows(IllegalArgumentException.class, () -> PauliFrame.wordsFor(Long.MAX_VALUE / 2));
    }

    @Test
    void shouldPlacePairTwoBitsAtTwiceItsIndexWithinItsWord()
    {
        final long[] frame = new long[3];
        PauliFrame.xorSymbol(frame, 0, 1);
        PauliFrame.xorSymbol(frame, 31, 2);
        PauliFrame.xorSymbol(frame, 33, 3);
        assertEquals(1L | (2L << 62), frame[0]);
        assertEquals(3L << 2, frame[1]);
        assertEquals(1, PauliFrame.symbol(frame, 0));
        assertEquals(2, PauliFrame.symbol(frame, 31));
        assertEquals(3, PauliFrame.symbol(frame, 33));
        assertEquals(0, PauliFrame.symbol(frame, 32));
        PauliFrame.xorSymbol(frame, 33, 1);
        assertEquals(2, PauliFrame.symbol(frame, 33));
    }

    @Test
    void shouldReadALittleEndianBytePayloadAsAFrameOfFourPairsPerByte()
    {
        final byte[] payload = new byte[16];
        new SplittableRandom(3).nextBytes(payload);
        final long[] frame = new long[2];
        ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(frame);
        for (int pair = 0; pair < 64; pair++)
        {
            final int expected = (payload[pair / 4] >>> (2 * (pair % 4))) & 3;
            assertEquals(expected, PauliFrame.symbol(frame, pair), "pair " + pair);
        }
    }

    @Test
    void shouldXorWordRanges()
    {
        final long[] target = {1, 2, 3, 4};
        PauliFrame.xor(target, 1, new long[] {0, 7, 7}, 1, 2);
        assertArrayEquals(new long[] {1, 2 ^ 7, 3 ^ 7, 4}, target);
    }

    @Test
    void shouldCountLabelsAndNonZeroSymbols()
    {
        final long[] frame = new long[2];
        final int[] labels = {1, 1, 2, 3, 3, 3};
        for (int i = 0; i < labels.length; i++)
        {
            PauliFrame.xorSymbol(frame, 7 * i, labels[i]);
        }
        assertArrayEquals(new long[] {64 - 6, 2, 1, 3}, PauliFrame.countLabels(frame, 2));
        assertEquals(6, PauliFrame.countNonZero(frame, 2));
        assertArrayEquals(new long[] {32 - 5, 2, 1, 2}, PauliFrame.countLabels(frame, 1));
    }
}
