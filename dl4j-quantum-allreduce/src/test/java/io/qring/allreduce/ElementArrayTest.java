package io.qring.allreduce;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The element loops against their one-element-at-a-time definitions: received chunks read little-endian
 * from heap and off-heap buffers at odd offsets, and the block-wise non-finite scan at every kind of
 * position (first, last, block edges) and value (NaN, ±infinity next to the largest finite values).
 */
class ElementArrayTest
{
    private static final int LENGTH = 3 * ElementArray.SCAN_BLOCK + 17;

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldAddAndCopyInFloatsFromLittleEndianChunks(final boolean offHeap)
    {
        final SplittableRandom random = new SplittableRandom(11);
        final float[] data = new float[1000];
        final float[] received = new float[300];
        for (int i = 0; i < data.length; i++)
        {
            data[i] = (float)random.nextGaussian();
        }
        final int offset = 5;
        final MutableDirectBuffer buffer = buffer(offHeap, offset + received.length * Float.BYTES);
        for (int i = 0; i < received.length; i++)
        {
            received[i] = (float)random.nextGaussian();
            buffer.putFloat(offset + i * Float.BYTES, received[i], ElementArray.ORDER);
        }
        final float[] expected = data.clone();
        for (int i = 0; i < received.length; i++)
        {
            expected[123 + i] += received[i];
        }
        final ElementArray.Floats array = new ElementArray.Floats().wrap(data);
        array.add(buffer, offset, 123, received.length);
        assertArrayEquals(expected, data);

        System.arraycopy(received, 0, expected, 600, received.length);
        array.copyIn(buffer, offset, 600, received.length);
        assertArrayEquals(expected, data);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldAddAndCopyInDoublesFromLittleEndianChunks(final boolean offHeap)
    {
        final SplittableRandom random = new SplittableRandom(12);
        final double[] data = new double[1000];
        final double[] received = new double[300];
        for (int i = 0; i < data.length; i++)
        {
            data[i] = random.nextGaussian();
        }
        final int offset = 3;
        final MutableDirectBuffer buffer = buffer(offHeap, offset + received.length * Double.BYTES);
        for (int i = 0; i < received.length; i++)
        {
            received[i] = random.nextGaussian();
            buffer.putDouble(offset + i * Double.BYTES, received[i], ElementArray.ORDER);
        }
        final double[] expected = data.clone();
        for (int i = 0; i < received.length; i++)
        {
            expected[700 - received.length + i] += received[i];
        }
        final ElementArray.Doubles array = new ElementArray.Doubles().wrap(data);
        array.add(buffer, offset, 700 - received.length, received.length);
        assertArrayEquals(expected, data);

        System.arraycopy(received, 0, expected, 0, received.length);
        array.copyIn(buffer, offset, 0, received.length);
        assertArrayEquals(expected, data);
    }

    @Test
    void shouldRefuseChunksOutsideTheBufferOrTheArrayBeforeAnyCopy()
    {
        final float[] data = new float[10];
        final ElementArray.Floats array = new ElementArray.Floats().wrap(data);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[16]);
        buffer.putFloat(0, 1.0f, ElementArray.ORDER);
        assertThrows(IndexOutOfBoundsException.class, () -> array.copyIn(buffer, 4, 0, 4));
        assertThrows(IndexOutOfBoundsException.class, () -> array.add(buffer, 0, 8, 4));
        assertArrayEquals(new float[10], data);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, ElementArray.SCAN_BLOCK - 1, ElementArray.SCAN_BLOCK, 2 * ElementArray.SCAN_BLOCK + 5, LENGTH - 1})
    void shouldFindTheFirstNonFiniteFloatWhereverItIs(final int index)
    {
        for (final float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0xFFC0_0001)})
        {
            final float[] data = finiteFloats();
            data[index] = bad;
            if (index + 3 < LENGTH)
            {
                data[index + 3] = Float.NaN;
            }
            assertEquals(index, new ElementArray.Floats().wrap(data).firstNonFinite(), "value " + bad);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, ElementArray.SCAN_BLOCK - 1, ElementArray.SCAN_BLOCK, 2 * ElementArray.SCAN_BLOCK + 5, LENGTH - 1})
    void shouldFindTheFirstNonFiniteDoubleWhereverItIs(final int index)
    {
        for (final double bad : new double[]{Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
        {
            final double[] data = finiteDoubles();
            data[index] = bad;
            assertEquals(index, new ElementArray.Doubles().wrap(data).firstNonFinite(), "value " + bad);
        }
    }

    @Test
    void shouldKeepBlockAndChunkCountsExactForArraysEndingNearTheIntLimit()
    {
        assertEquals(Integer.MAX_VALUE, ElementArray.scanBlockEnd(Integer.MAX_VALUE - 10, Integer.MAX_VALUE));
        assertEquals(2 * ElementArray.SCAN_BLOCK, ElementArray.scanBlockEnd(ElementArray.SCAN_BLOCK, 10_000));
        assertEquals(100, ElementArray.scanBlockEnd(0, 100));
        assertEquals(16_384, RingAllReduce.chunks(Integer.MAX_VALUE, 131_072));
        assertEquals(16_384, RingAllReduce.chunks(2_147_483_547, 131_072));
        assertEquals(Integer.MAX_VALUE, RingAllReduce.chunks(Integer.MAX_VALUE, 1));
        assertEquals(0, RingAllReduce.chunks(0, 8));
    }

    @Test
    void shouldPassExtremeFiniteValuesThroughTheScan()
    {
        assertEquals(-1, new ElementArray.Floats().wrap(finiteFloats()).firstNonFinite());
        assertEquals(-1, new ElementArray.Doubles().wrap(finiteDoubles()).firstNonFinite());
        assertEquals(-1, new ElementArray.Floats().wrap(new float[0]).firstNonFinite());
    }

    private static float[] finiteFloats()
    {
        final float[] values = {Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, -0.0f, 0.0f, Float.MIN_NORMAL, 1.0f};
        final float[] data = new float[LENGTH];
        for (int i = 0; i < LENGTH; i++)
        {
            data[i] = values[i % values.length];
        }
        return data;
    }

    private static double[] finiteDoubles()
    {
        final double[] values = {Double.MAX_VALUE, -Double.MAX_VALUE, Double.MIN_VALUE, -0.0, 0.0, Double.MIN_NORMAL, 1.0};
        final double[] data = new double[LENGTH];
        for (int i = 0; i < LENGTH; i++)
        {
            data[i] = values[i % values.length];
        }
        return data;
    }

    private static MutableDirectBuffer buffer(final boolean offHeap, final int capacity)
    {
        return offHeap ? new UnsafeBuffer(ByteBuffer.allocateDirect(capacity)) : new UnsafeBuffer(new byte[capacity]);
    }
}
