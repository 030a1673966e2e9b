package io.qring.channel.frame;

/**
 * Bit-packed frames of 2-bit Bell-pair symbols over {@code long[]} words, 32 pairs per word.
 *
 * <p>Pair {@code i} lives in word {@code i >>> 5} at bit offset {@code 2 * (i & 31)}: the low bit is
 * the X-bit (decoded bit b2), the high bit the Z-bit (decoded bit b1), so a symbol's value is
 * {@code 2·b1 + b2} and an error label is XORed straight into it. A byte payload read as
 * little-endian longs is already such a frame: byte {@code k} holds pairs {@code 4k .. 4k+3}.
 */
public final class PauliFrame
{
    /** Pairs held by one 64-bit word. */
    public static final int PAIRS_PER_WORD = 32;
    /** Pairs carried by one payload byte. */
    public static final int PAIRS_PER_BYTE = 4;

    private static final long X_BITS = 0x5555_5555_5555_5555L;
    private static final long Z_BITS = 0xAAAA_AAAA_AAAA_AAAAL;

    private PauliFrame()
    {
    }

    /**
     * @param pairs number of pairs.
     * @return the number of words needed to hold them.
     */
    public static int wordsFor(final long pairs)
    {
        final long words = (pairs + PAIRS_PER_WORD - 1) / PAIRS_PER_WORD;
        if (pairs < 0 || words > Integer.MAX_VALUE - 8)
        {
            throw new IllegalArgumentException("cannot hold " + pairs + " pairs in one frame");
        }
        return (int)words;
    }

    /**
     * @param words frame words.
     * @param pair  pair index.
     * @return the 2-bit symbol of that pair.
     */
    public static int symbol(final long[] words, final long pair)
    {
        return (int)(words[(int)(pair >>> 5)] >>> ((pair & 31) << 1)) & 3;
    }

    /**
     * XORs a 2-bit label into one pair's symbol.
     *
     * @param words frame words, modified in place.
     * @param pair  pair index.
     * @param label label in 0..3.
     */
    public static void xorSymbol(final long[] words, final long pair, final int label)
    {
        words[(int)(pair >>> 5)] ^= (long)(label & 3) << ((pair & 31) << 1);
    }

    /**
     * {@code target[targetOffset + i] ^= source[sourceOffset + i]} for {@code i < wordCount}.
     *
     * @param target       words modified in place.
     * @param targetOffset first target word.
     * @param source       words XORed in.
     * @param sourceOffset first source word.
     * @param wordCount    words to combine.
     */
    public static void xor(final long[] target, final int targetOffset, final long[] source, final int sourceOffset, final int wordCount)
    {
        for (int i = 0; i < wordCount; i++)
        {
            target[targetOffset + i] ^= source[sourceOffset + i];
        }
    }

    /**
     * Counts the error labels in a frame of error symbols.
     *
     * @param words     error frame.
     * @param wordCount words to count (whole words; unused high pairs must be zero).
     * @return counts indexed by label: {@code [I, X, Z, Y]} with I = pairs in whole words − errors.
     */
    public static long[] countLabels(final long[] words, final int wordCount)
    {
        long x = 0;
        long z = 0;
        long y = 0;
        for (int i = 0; i < wordCount; i++)
        {
            final long w = words[i];
            final long xs = w & X_BITS;
            final long zs = (w & Z_BITS) >>> 1;
            final long both = xs & zs;
            y += Long.bitCount(both);
            x += Long.bitCount(xs & ~both);
            z += Long.bitCount(zs & ~both);
        }
        final long total = (long)wordCount * PAIRS_PER_WORD;
        return new long[] {total - x - y - z, x, z, y};
    }

    /**
     * Counts pairs whose symbol is non-zero (symbol errors when the frame holds error labels).
     *
     * @param words     frame words.
     * @param wordCount words to count.
     * @return number of non-zero symbols.
     */
    public static long countNonZero(final long[] words, final int wordCount)
    {
        long n = 0;
        for (int i = 0; i < wordCount; i++)
        {
            final long w = words[i];
            n += Long.bitCount((w | (w >>> 1)) & X_BITS);
        }
        return n;
    }
}
