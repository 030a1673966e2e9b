package io.qring.channel.codec;

import io.qring.channel.epr.EprShares;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

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
        long low = EprShares.senderShareWord(streamKey, firstWord);
        for (int j = 0; j < fullWords; j++)
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
}
