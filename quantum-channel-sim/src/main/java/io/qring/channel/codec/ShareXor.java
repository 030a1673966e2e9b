package io.qring.channel.codec;

import io.qring.channel.epr.EprShares;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;

import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The codec's bulk loop: {@code dst = src ⊕ s_A [⊕ errors]}, where s_A are the sender's shares of the
 * pairs starting at {@code firstPair}, 2 bits per pair in frame layout: message byte i meets bits
 * {@code 2·firstPair + 8i .. 2·firstPair + 8i + 7} of the share stream, share word k holding its bits
 * {@code 64k .. 64k + 63} as a little-endian long.
 *
 * <p>Share loops are counted loops of up to {@value #BLOCK_WORDS} words with no loop-carried value,
 * which C2 turns into SIMD code: their counters are a fixed table of counter steps plus the block's
 * first counter. The first pair may lie some bytes into its share word, its lead. When both buffers are
 * byte arrays, the first pair is a multiple of 4 (always the case for codec frames, which take 4 pairs
 * per byte) and there are no errors, each block is copied from source to destination and the share
 * words XORed in there, share word k as the unaligned long at message byte 8k − lead; the bytes at
 * either end that do not fill such a long are XORed one by one. Otherwise a block's bytes are copied
 * into a {@code long[]} at the lead, so they line up with whole share words; the share words and errors
 * are XORed in there and the bytes copied back out. A first pair that is not a multiple of 4 leaves a
 * bit offset as well, and each key word then combines two share words.
 *
 * <p>An instance owns its scratch blocks, so {@link #apply} allocates nothing; it is not thread-safe
 * (one per encoder or decoder, which are single-threaded themselves).
 */
final class ShareXor
{
    /** Words per block: the block, its errors and the counter step table together stay inside L1. */
    static final int BLOCK_WORDS = 1024;

    private static final int BLOCK_BYTES = BLOCK_WORDS * Long.BYTES;
    private static final long BYTE_ARRAY_BASE = UnsafeApi.arrayBaseOffset(byte[].class);
    private static final long LONG_ARRAY_BASE = UnsafeApi.arrayBaseOffset(long[].class);
    /** {@code j·SHARE_WORD_STRIDE}: the share counter j words after a block's first. */
    private static final long[] COUNTER_STEPS = counterSteps(BLOCK_WORDS + 1);

    private final long[] block = new long[BLOCK_WORDS + 1];
    private final long[] blockErrors = new long[BLOCK_WORDS + 1];

    /**
     * @throws UnsupportedOperationException on a big-endian platform: blocks are read as native longs,
     *                                       frames are little-endian.
     */
    ShareXor()
    {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN)
        {
            throw new UnsupportedOperationException("the superdense codec needs a little-endian platform, this one is " +
                ByteOrder.nativeOrder());
        }
    }

    /**
     * @param src       source bytes (payload or wire symbols).
     * @param srcOffset first source byte.
     * @param dst       destination bytes; the same range as the source or one not overlapping it.
     * @param dstOffset first destination byte.
     * @param length    bytes to transform.
     * @param streamKey the link's share stream key.
     * @param firstPair pair carried by the low two bits of the first byte.
     * @param errors    error labels of the pairs relative to {@code firstPair} in frame layout, cleared
     *                  as they are applied; {@code null} for none.
     * @throws IndexOutOfBoundsException if a range lies outside its buffer or the errors are too short.
     */
    void apply(
        final DirectBuffer src,
        final int srcOffset,
        final MutableDirectBuffer dst,
        final int dstOffset,
        final int length,
        final long streamKey,
        final long firstPair,
        final long[] errors)
    {
        SuperdenseEncoder.requireRange("share XOR source", src, srcOffset, length);
        SuperdenseEncoder.requireRange("share XOR destination", dst, dstOffset, length);
        if (errors != null && errors.length < (length + 7L) >>> 3)
        {
            throw new IndexOutOfBoundsException(errors.length + " error words cannot cover " + length + " bytes");
        }
        final byte[] srcArray = src.byteArray();
        final long srcAddress = src.addressOffset() + srcOffset;
        final byte[] dstArray = dst.byteArray();
        final long dstAddress = dst.addressOffset() + dstOffset;
        final long firstWord = firstPair >>> 5;
        final int shift = ((int)firstPair & 31) << 1;
        final int bitShift = shift & 7;
        final int lead = shift >>> 3;
        if (srcArray != null && dstArray != null && bitShift == 0 && errors == null)
        {
            xorArrays(srcArray, srcOffset + src.wrapAdjustment(), dstArray, dstOffset + dst.wrapAdjustment(), length, streamKey,
                firstWord, lead);
            return;
        }
        final long blockAddress = LONG_ARRAY_BASE + lead;
        final long[] block = this.block;

        int done = 0;
        while (done < length)
        {
            final int bytes = Math.min(BLOCK_BYTES, length - done);
            final int words = (lead + bytes + Long.BYTES - 1) >>> 3;
            final int messageWord = done >>> 3;
            final long counter = EprShares.senderShareCounter(streamKey, firstWord + messageWord);
            UnsafeApi.copyMemory(srcArray, srcAddress + done, block, blockAddress, bytes);
            if (bitShift == 0)
            {
                xorShareWords(block, words, counter);
            }
            else
            {
                xorShiftedShareWords(block, words, counter, bitShift);
            }
            if (errors != null)
            {
                final long[] aligned = blockErrors;
                UnsafeApi.copyMemory(errors, LONG_ARRAY_BASE + ((long)messageWord << 3), aligned, blockAddress, bytes);
                xorWords(block, aligned, words);
            }
            UnsafeApi.copyMemory(block, blockAddress, dstArray, dstAddress + done, bytes);
            done += bytes;
        }
        if (errors != null)
        {
            Arrays.fill(errors, 0, (int)((length + 7L) >>> 3), 0);
        }
    }

    /**
     * The byte-array path, on array indices: whole share words from {@code lead == 0 ? 0 : 1} up to the
     * last one that ends inside the message, block by block, then the bytes before and after them.
     */
    private static void xorArrays(
        final byte[] src,
        final int srcIndex,
        final byte[] dst,
        final int dstIndex,
        final int length,
        final long streamKey,
        final long firstWord,
        final int lead)
    {
        final int firstWhole = lead == 0 ? 0 : 1;
        final int wholeEnd = (int)((lead + (long)length) >>> 3);
        for (int k = firstWhole; k < wholeEnd; k += BLOCK_WORDS)
        {
            final int offset = (k << 3) - lead;
            final int words = Math.min(BLOCK_WORDS, wholeEnd - k);
            System.arraycopy(src, srcIndex + offset, dst, dstIndex + offset, words << 3);
            xorShareWords(dst, dstIndex + offset, words, EprShares.senderShareCounter(streamKey, firstWord + k));
        }
        final int headEnd = Math.min(length, (Long.BYTES - lead) & 7);
        if (headEnd > 0)
        {
            final long share = EprShares.senderShareWord(streamKey, firstWord) >>> (lead << 3);
            xorBytes(src, srcIndex, dst, dstIndex, 0, headEnd, share);
        }
        final int tailStart = Math.max(headEnd, (wholeEnd << 3) - lead);
        if (tailStart < length)
        {
            xorBytes(src, srcIndex, dst, dstIndex, tailStart, length, EprShares.senderShareWord(streamKey, firstWord + wholeEnd));
        }
    }

    /**
     * XORs share words into the array in place as unaligned longs. The byte offset is summed as an
     * {@code int} before it is widened: C2 (JDK 17) vectorizes the loop only so, and neither with a
     * {@code long} offset nor reading one array and writing another.
     */
    private static void xorShareWords(final byte[] array, final int index, final int words, final long counter)
    {
        final long[] steps = COUNTER_STEPS;
        for (int j = 0; j < words; j++)
        {
            final long address = BYTE_ARRAY_BASE + (index + (j << 3));
            UnsafeApi.putLong(array, address, UnsafeApi.getLong(array, address) ^ EprShares.mix64(counter + steps[j]));
        }
    }

    /** Message bytes {@code from .. to − 1}, XORed with the low bytes of {@code share} in turn. */
    private static void xorBytes(
        final byte[] src, final int srcIndex, final byte[] dst, final int dstIndex, final int from, final int to, final long share)
    {
        for (int i = from; i < to; i++)
        {
            dst[dstIndex + i] = (byte)(src[srcIndex + i] ^ (share >>> ((i - from) << 3)));
        }
    }

    private static void xorShareWords(final long[] block, final int words, final long counter)
    {
        final long[] steps = COUNTER_STEPS;
        for (int j = 0; j < words; j++)
        {
            block[j] ^= EprShares.mix64(counter + steps[j]);
        }
    }

    /**
     * Key word j is {@code s[j] >>> bitShift | s[j + 1] << (64 − bitShift)}: two passes each mix a share
     * word per key word, from counters at the same table index, as C2 vectorizes no loop reading one
     * array at two offsets, nor one as large as both passes together. Half as fast; no codec frame
     * takes this path.
     */
    private static void xorShiftedShareWords(final long[] block, final int words, final long counter, final int bitShift)
    {
        final long[] steps = COUNTER_STEPS;
        for (int j = 0; j < words; j++)
        {
            block[j] ^= EprShares.mix64(counter + steps[j]) >>> bitShift;
        }
        final long nextCounter = counter + EprShares.SHARE_WORD_STRIDE;
        final int highShift = Long.SIZE - bitShift;
        for (int j = 0; j < words; j++)
        {
            block[j] ^= EprShares.mix64(nextCounter + steps[j]) << highShift;
        }
    }

    private static void xorWords(final long[] block, final long[] words, final int count)
    {
        for (int j = 0; j < count; j++)
        {
            block[j] ^= words[j];
        }
    }

    private static long[] counterSteps(final int count)
    {
        final long[] steps = new long[count];
        for (int j = 1; j < count; j++)
        {
            steps[j] = steps[j - 1] + EprShares.SHARE_WORD_STRIDE;
        }
        return steps;
    }
}
