package io.qring.channel.codec;

import io.qring.channel.epr.EprShares;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The codec's bulk loop: {@code dst = src ⊕ s_A [⊕ errors]} word by word over little-endian longs,
 * where s_A are the sender's shares of the pairs starting at {@code firstPair}. A pair offset that is
 * not a multiple of 32 combines two consecutive share words; a length that is not a multiple of 8
 * finishes with a partial word. Allocation-free.
 */
final class ShareXor
{
    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ORDER);

    private ShareXor()
    {
    }

    /**
     * @param src       source bytes (payload or wire symbols).
     * @param srcOffset first source byte.
     * @param dst       destination bytes.
     * @param dstOffset first destination byte.
     * @param length    bytes to transform.
     * @param streamKey the link's share stream key.
     * @param firstPair pair carried by the low two bits of the first byte.
     * @param errors    error labels of the pairs relative to {@code firstPair} in frame layout, cleared
     *                  as they are applied; {@code null} for none.
     */
    static void apply(
        final DirectBuffer src,
        final int srcOffset,
        final MutableDirectBuffer dst,
        final int dstOffset,
        final int length,
        final long streamKey,
        final long firstPair,
        final long[] errors)
    {
        final int fullWords = length >>> 3;
        final long firstWord = firstPair >>> 5;
        final int shift = ((int)firstPair & 31) << 1;
        final byte[] srcArray = src.byteArray();
        final byte[] dstArray = dst.byteArray();
        final long low = srcArray != null && dstArray != null ?
            applyToArrays(srcArray, src.wrapAdjustment() + srcOffset, dstArray, dst.wrapAdjustment() + dstOffset,
                fullWords, streamKey, firstWord, shift, errors) :
            applyToBuffers(src, srcOffset, dst, dstOffset, fullWords, streamKey, firstWord, shift, errors);

        final int tailBytes = length & 7;
        if (tailBytes != 0)
        {
            final long key = shift == 0 ? low :
                (low >>> shift) | (EprShares.senderShareWord(streamKey, firstWord + fullWords + 1) << (64 - shift));
            final int offset = fullWords << 3;
            long word = 0;
            for (int b = 0; b < tailBytes; b++)
            {
                word |= (src.getByte(srcOffset + offset + b) & 0xFFL) << (b << 3);
            }
            word ^= key;
            if (errors != null)
            {
                word ^= errors[fullWords];
                errors[fullWords] = 0;
            }
            for (int b = 0; b < tailBytes; b++)
            {
                dst.putByte(dstOffset + offset + b, (byte)(word >>> (b << 3)));
            }
        }
    }

    /**
     * Whole words through buffer accessors (any buffer, e.g. off-heap Aeron terms).
     *
     * @return the share word following the last one used, for the partial tail word.
     */
    private static long applyToBuffers(
        final DirectBuffer src,
        final int srcOffset,
        final MutableDirectBuffer dst,
        final int dstOffset,
        final int words,
        final long streamKey,
        final long firstWord,
        final int shift,
        final long[] errors)
    {
        long low = EprShares.senderShareWord(streamKey, firstWord);
        for (int j = 0; j < words; j++)
        {
            final long high = EprShares.senderShareWord(streamKey, firstWord + j + 1);
            final long key = shift == 0 ? low : (low >>> shift) | (high << (64 - shift));
            low = high;
            final int offset = j << 3;
            long word = src.getLong(srcOffset + offset, ORDER) ^ key;
            if (errors != null)
            {
                word ^= errors[j];
                errors[j] = 0;
            }
            dst.putLong(dstOffset + offset, word, ORDER);
        }
        return low;
    }

    /**
     * Whole words of array-backed buffers through a little-endian array view: the same transformation
     * as {@link #applyToBuffers}, about twice as fast because it avoids the accessors' checks.
     *
     * @return the share word following the last one used, for the partial tail word.
     */
    private static long applyToArrays(
        final byte[] src,
        final int srcIndex,
        final byte[] dst,
        final int dstIndex,
        final int words,
        final long streamKey,
        final long firstWord,
        final int shift,
        final long[] errors)
    {
        if (words > 0 && (srcIndex < 0 || dstIndex < 0 || srcIndex + (words << 3) > src.length || dstIndex + (words << 3) > dst.length))
        {
            throw new IndexOutOfBoundsException("share XOR of " + words + " words outside the source or destination array");
        }
        long low = EprShares.senderShareWord(streamKey, firstWord);
        long counter = EprShares.senderShareCounter(streamKey, firstWord + 1);
        for (int j = 0; j < words; j++)
        {
            final long high = EprShares.mix64(counter);
            counter += EprShares.SHARE_WORD_STRIDE;
            final long key = shift == 0 ? low : (low >>> shift) | (high << (64 - shift));
            low = high;
            long word = (long)LONGS.get(src, srcIndex + (j << 3)) ^ key;
            if (errors != null)
            {
                word ^= errors[j];
                errors[j] = 0;
            }
            LONGS.set(dst, dstIndex + (j << 3), word);
        }
        return low;
    }
}
