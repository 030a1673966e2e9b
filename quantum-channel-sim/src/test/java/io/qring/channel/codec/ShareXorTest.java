package io.qring.channel.codec;

import io.qring.channel.epr.EprShares;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ShareXorTest
{
    private static final long STREAM_KEY = EprShares.shareStreamKey(0x5EED);
    private static final int MARGIN = 64;

    @Test
    void shouldMatchTheWordByWordReferenceForAnyLengthPairOffsetAndBuffer()
    {
        final SplittableRandom random = new SplittableRandom(20_240_611);
        final ShareXor shareXor = new ShareXor();
        for (int i = 0; i < 3000; i++)
        {
            final int length = random.nextInt(5001);
            checkOne(random, shareXor, length);
        }
    }

    @Test
    void shouldMatchTheReferenceAcrossBlocks()
    {
        final SplittableRandom random = new SplittableRandom(7);
        final ShareXor shareXor = new ShareXor();
        final int blockBytes = ShareXor.BLOCK_WORDS * Long.BYTES;
        for (int i = 0; i < 200; i++)
        {
            final int length = i < 8 ? blockBytes - 4 + i : random.nextInt(3 * blockBytes + 20);
            checkOne(random, shareXor, length);
        }
    }

    @Test
    void shouldMatchTheReferenceBetweenArraysForEveryLeadAndShortOddAndBlockLengths()
    {
        final SplittableRandom random = new SplittableRandom(13);
        final ShareXor shareXor = new ShareXor();
        final int blockBytes = ShareXor.BLOCK_WORDS * Long.BYTES;
        final int[] longer = {63, 1001, blockBytes - 9, blockBytes, blockBytes + 7, 2 * blockBytes + 13, 3 * blockBytes - 1};
        for (int lead = 0; lead < Long.BYTES; lead++)
        {
            for (int length = 0; length < 24 + longer.length; length++)
            {
                final long firstPair = (random.nextLong(1L << 40) & ~31L) + 4L * lead;
                checkArrays(random, shareXor, length < 24 ? length : longer[length - 24], firstPair);
            }
        }
    }

    @Test
    void shouldTransformInPlace()
    {
        final SplittableRandom random = new SplittableRandom(11);
        final ShareXor shareXor = new ShareXor();
        for (int i = 0; i < 200; i++)
        {
            final int length = random.nextInt(20_000);
            final long firstPair = random.nextLong(1L << 40);
            final int offset = random.nextInt(MARGIN);
            final byte[] bytes = randomBytes(random, offset + length + MARGIN);
            final long[] errors = random.nextBoolean() ? randomWords(random, (length + 7) / 8) : null;
            final byte[] expected = bytes.clone();
            reference(bytes, offset, expected, offset, length, firstPair, errors == null ? null : errors.clone());

            final UnsafeBuffer buffer = random.nextBoolean() ? new UnsafeBuffer(bytes) : direct(bytes);
            shareXor.apply(buffer, offset, buffer, offset, length, STREAM_KEY, firstPair, errors);
            assertArrayEquals(expected, contents(buffer), "in place: length " + length + ", first pair " + firstPair);
        }
    }

    @Test
    void shouldRefuseRangesOutsideTheBuffersAndTooFewErrors()
    {
        final ShareXor shareXor = new ShareXor();
        final UnsafeBuffer small = new UnsafeBuffer(new byte[16]);
        final UnsafeBuffer large = new UnsafeBuffer(ByteBuffer.allocateDirect(64));
        assertThrows(IndexOutOfBoundsException.class, () -> shareXor.apply(small, 8, large, 0, 9, STREAM_KEY, 0, null));
        assertThrows(IndexOutOfBoundsException.class, () -> shareXor.apply(large, 0, small, 1, 16, STREAM_KEY, 0, null));
        assertThrows(IndexOutOfBoundsException.class, () -> shareXor.apply(large, -1, small, 0, 1, STREAM_KEY, 0, null));
        assertThrows(IndexOutOfBoundsException.class, () -> shareXor.apply(large, 0, large, 32, 17, STREAM_KEY, 0, new long[2]));
    }

    /**
     * One random case: source and destination on-heap or off-heap, at random offsets inside wrapped
     * regions that start at random array offsets; bytes around the destination range must not change.
     */
    private static void checkOne(final SplittableRandom random, final ShareXor shareXor, final int length)
    {
        final long firstPair = randomFirstPair(random);
        final int srcOffset = random.nextInt(MARGIN);
        final int dstOffset = random.nextInt(MARGIN);
        final byte[] srcBytes = randomBytes(random, srcOffset + length + MARGIN);
        final byte[] dstBytes = randomBytes(random, dstOffset + length + MARGIN);
        final long[] errors = random.nextBoolean() ? randomWords(random, (length + 7) / 8 + random.nextInt(3)) : null;

        final byte[] expected = dstBytes.clone();
        final long[] expectedErrors = errors == null ? null : errors.clone();
        reference(srcBytes, srcOffset, expected, dstOffset, length, firstPair, expectedErrors);

        final UnsafeBuffer src = buffer(random, srcBytes);
        final UnsafeBuffer dst = buffer(random, dstBytes);
        shareXor.apply(src, srcOffset, dst, dstOffset, length, STREAM_KEY, firstPair, errors);

        final String what = "length " + length + ", first pair " + firstPair + ", offsets " + srcOffset + "/" + dstOffset +
            ", " + kind(src) + " -> " + kind(dst) + (errors == null ? "" : ", with errors");
        assertArrayEquals(expected, contents(dst), what);
        assertArrayEquals(srcBytes, contents(src), "source changed: " + what);
        if (errors != null)
        {
            assertArrayEquals(expectedErrors, errors, "errors not cleared as applied: " + what);
        }
    }

    /** Array to array, in another array at random offsets and in place, with no errors: the direct path. */
    private static void checkArrays(final SplittableRandom random, final ShareXor shareXor, final int length, final long firstPair)
    {
        final int srcOffset = random.nextInt(MARGIN);
        final int dstOffset = random.nextInt(MARGIN);
        final byte[] srcBytes = randomBytes(random, srcOffset + length + MARGIN);
        final byte[] dstBytes = randomBytes(random, dstOffset + length + MARGIN);
        final byte[] expected = dstBytes.clone();
        reference(srcBytes, srcOffset, expected, dstOffset, length, firstPair, null);
        final byte[] expectedInPlace = srcBytes.clone();
        reference(srcBytes, srcOffset, expectedInPlace, srcOffset, length, firstPair, null);

        final UnsafeBuffer src = new UnsafeBuffer(srcBytes);
        shareXor.apply(src, srcOffset, new UnsafeBuffer(dstBytes), dstOffset, length, STREAM_KEY, firstPair, null);
        final String what = "length " + length + ", first pair " + firstPair + ", offsets " + srcOffset + "/" + dstOffset;
        assertArrayEquals(expected, dstBytes, what);
        shareXor.apply(src, srcOffset, src, srcOffset, length, STREAM_KEY, firstPair, null);
        assertArrayEquals(expectedInPlace, srcBytes, "in place: " + what);
    }

    /**
     * Word by word as the frame layout defines it: word j of the message (bytes 8j .. 8j + 7,
     * little-endian) is XORed with share words {@code firstPair / 32 + j} and the next one shifted by
     * {@code 2·(firstPair mod 32)} bits, and with error word j, which is then cleared.
     */
    private static void reference(
        final byte[] src, final int srcOffset, final byte[] dst, final int dstOffset, final int length, final long firstPair, final long[] errors)
    {
        final long firstWord = firstPair >>> 5;
        final int shift = ((int)firstPair & 31) << 1;
        for (int j = 0; j * 8 < length; j++)
        {
            final long low = EprShares.senderShareWord(STREAM_KEY, firstWord + j);
            final long high = EprShares.senderShareWord(STREAM_KEY, firstWord + j + 1);
            long key = shift == 0 ? low : (low >>> shift) | (high << (64 - shift));
            if (errors != null)
            {
                key ^= errors[j];
                errors[j] = 0;
            }
            for (int b = 0; b < 8 && j * 8 + b < length; b++)
            {
                dst[dstOffset + j * 8 + b] = (byte)(src[srcOffset + j * 8 + b] ^ (key >>> (8 * b)));
            }
        }
    }

    /** Mostly arbitrary pairs, but a quarter multiples of 4 and a quarter multiples of 32, as frames start. */
    private static long randomFirstPair(final SplittableRandom random)
    {
        final long pair = random.nextLong(1L << 42);
        return switch (random.nextInt(4))
        {
            case 0 -> pair & ~3L;
            case 1 -> pair & ~31L;
            default -> pair;
        };
    }

    /** The bytes wrapped at a random offset of a larger array or direct buffer, or the array itself. */
    private static UnsafeBuffer buffer(final SplittableRandom random, final byte[] bytes)
    {
        final int pad = random.nextInt(16);
        final UnsafeBuffer buffer;
        switch (random.nextInt(3))
        {
            case 0 -> buffer = new UnsafeBuffer(bytes);
            case 1 ->
            {
                final byte[] larger = new byte[pad + bytes.length + 16];
                System.arraycopy(bytes, 0, larger, pad, bytes.length);
                buffer = new UnsafeBuffer(larger, pad, bytes.length);
            }
            default ->
            {
                final UnsafeBuffer larger = new UnsafeBuffer(ByteBuffer.allocateDirect(pad + bytes.length + 16));
                buffer = new UnsafeBuffer(larger, pad, bytes.length);
                buffer.putBytes(0, bytes);
            }
        }
        return buffer;
    }

    private static UnsafeBuffer direct(final byte[] bytes)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(bytes.length));
        buffer.putBytes(0, bytes);
        return buffer;
    }

    private static byte[] contents(final MutableDirectBuffer buffer)
    {
        final byte[] bytes = new byte[buffer.capacity()];
        buffer.getBytes(0, bytes);
        return bytes;
    }

    private static String kind(final UnsafeBuffer buffer)
    {
        return buffer.byteArray() != null ? "array" : "direct";
    }

    private static byte[] randomBytes(final SplittableRandom random, final int length)
    {
        final byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    private static long[] randomWords(final SplittableRandom random, final int length)
    {
        final long[] words = new long[length];
        Arrays.setAll(words, i -> random.nextLong());
        return words;
    }
}
