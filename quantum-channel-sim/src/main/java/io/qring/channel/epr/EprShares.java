package io.qring.channel.epr;

import io.qring.channel.noise.SplitMix64;

import java.nio.charset.StandardCharsets;

/**
 * Counter-based shares of the pairs of a link and the seeds derived from a link seed.
 *
 * <p>The sender's share s_A of pair-word {@code k} (pairs {@code 32k .. 32k+31}, laid out as in
 * {@link io.qring.channel.frame.PauliFrame}) is the SplitMix64 output {@code mix64(key + k·γ)} of a
 * stream key derived from the link seed. Either endpoint computes it from the index alone, in any
 * process, with no shared state: that is what keeps the two sides of a link consistent. The receiver's
 * share is s_B = s_A ⊕ e, e being the Bell-state error of the pair, which the receiver samples when it
 * decodes; the Bell index of the pair is s_A ⊕ s_B = e.
 */
public final class EprShares
{
    /** Domain of the share stream. */
    public static final long SHARE_DOMAIN = 0x5348_4152_4553_3031L;
    /** Domain of the decoder's noise stream. */
    public static final long NOISE_DOMAIN = 0x4E4F_4953_4553_3031L;
    /** Domain of the verification error stream. */
    public static final long VERIFICATION_DOMAIN = 0x5645_5249_4659_3031L;
    /** Domain of the verification basis choices. */
    public static final long BASIS_DOMAIN = 0x4241_5349_5345_3031L;

    /** Counter step between consecutive share words (SplitMix64's golden gamma). */
    public static final long SHARE_WORD_STRIDE = SplitMix64.GOLDEN_GAMMA;

    private static final long GOLDEN_GAMMA = SplitMix64.GOLDEN_GAMMA;
    private static final long FNV_OFFSET = 0xCBF2_9CE4_8422_2325L;
    private static final long FNV_PRIME = 0x0000_0100_0000_01B3L;

    private EprShares()
    {
    }

    /**
     * Stafford's variant 13 finaliser of SplitMix64: a bijective 64-bit mix.
     *
     * @param z input.
     * @return mixed output.
     */
    public static long mix64(final long z)
    {
        return SplitMix64.mix64(z);
    }

    /**
     * A seed for one purpose and index, derived from a parent seed.
     *
     * @param seed   parent seed, e.g. the link seed.
     * @param domain what the seed is for, e.g. {@link #NOISE_DOMAIN}.
     * @param index  which one, e.g. a stream id or a round number.
     * @return the derived seed.
     */
    public static long derive(final long seed, final long domain, final long index)
    {
        return mix64(mix64(seed ^ domain) + (index + 1) * GOLDEN_GAMMA);
    }

    /**
     * @param linkSeed the 64-bit seed both endpoints of a link share.
     * @return the key of the link's share stream.
     */
    public static long shareStreamKey(final long linkSeed)
    {
        return mix64(linkSeed ^ SHARE_DOMAIN);
    }

    /**
     * The sender's shares of pairs {@code 32·wordIndex .. 32·wordIndex + 31}.
     *
     * @param streamKey key from {@link #shareStreamKey(long)}.
     * @param wordIndex pair-word index, ≥ 0.
     * @return 32 two-bit shares in frame layout.
     */
    public static long senderShareWord(final long streamKey, final long wordIndex)
    {
        return mix64(senderShareCounter(streamKey, wordIndex));
    }

    /**
     * The SplitMix64 counter whose mix is a share word: {@code senderShareWord(k, w) ==
     * mix64(senderShareCounter(k, w))}, and consecutive words differ by {@link #SHARE_WORD_STRIDE}, so
     * bulk loops step the counter instead of multiplying.
     *
     * @param streamKey key from {@link #shareStreamKey(long)}.
     * @param wordIndex index of the 32-pair word.
     * @return the counter of that word.
     */
    public static long senderShareCounter(final long streamKey, final long wordIndex)
    {
        return streamKey + wordIndex * GOLDEN_GAMMA;
    }

    /**
     * The sender's shares of the 32 pairs starting at any pair, combining two share words when the pair
     * is not a multiple of 32.
     *
     * @param streamKey key from {@link #shareStreamKey(long)}.
     * @param firstPair first pair of the window, ≥ 0.
     * @return 32 two-bit shares, pair {@code firstPair} in the low two bits.
     */
    public static long senderShareWindow(final long streamKey, final long firstPair)
    {
        final long word = firstPair >>> 5;
        final int shift = ((int)firstPair & 31) << 1;
        final long low = senderShareWord(streamKey, word);
        return shift == 0 ? low : (low >>> shift) | (senderShareWord(streamKey, word + 1) << (64 - shift));
    }

    /**
     * @param streamKey key from {@link #shareStreamKey(long)}.
     * @param pair      pair index, ≥ 0.
     * @return the sender's 2-bit share of that pair.
     */
    public static int senderShare(final long streamKey, final long pair)
    {
        return (int)(senderShareWord(streamKey, pair >>> 5) >>> ((pair & 31) << 1)) & 3;
    }

    /**
     * Identity of a directed link carried in every wire frame, so a frame decoded against the wrong
     * pool is refused: a hash of the link name and the link seed.
     *
     * @param linkName name of the directed link.
     * @param linkSeed seed of the link.
     * @return a 64-bit identity.
     */
    public static long linkId(final String linkName, final long linkSeed)
    {
        long hash = FNV_OFFSET;
        for (final byte b : linkName.getBytes(StandardCharsets.UTF_8))
        {
            hash = (hash ^ (b & 0xFF)) * FNV_PRIME;
        }
        return mix64(hash ^ mix64(linkSeed));
    }
}
