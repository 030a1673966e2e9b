package io.qring.channel.noise;

import io.qring.channel.frame.PauliFrame;

/**
 * Samples independent Pauli errors from a {@link PauliChannel} into a bit-packed symbol frame by
 * geometric skipping: one draw per error plus one per gap, not one per pair (Stim-style sparse
 * sampling). Seeded and therefore reproducible, and re-seedable in place ({@link #reseed}); not
 * thread-safe.
 */
public final class PauliErrorSampler
{
    private final PauliChannel channel;
    private final SplitMix64 random;
    private final double errorProbability;
    private final double logNoError;

    /**
     * @param channel the Pauli channel to sample from.
     * @param seed    seed of the sampler's private random stream.
     */
    public PauliErrorSampler(final PauliChannel channel, final long seed)
    {
        this.channel = channel;
        this.random = new SplitMix64(seed);
        this.errorProbability = channel.symbolErrorProbability();
        this.logNoError = Math.log1p(-Math.min(errorProbability, 1.0));
    }

    /**
     * Restarts the sampler's stream: it then draws exactly what a new sampler of its channel built
     * with this seed would.
     *
     * @param seed seed of the restarted stream.
     */
    public void reseed(final long seed)
    {
        random.reseed(seed);
    }

    /** @return the channel this sampler draws from. */
    public PauliChannel channel()
    {
        return channel;
    }

    /**
     * XORs independently sampled error labels into pairs {@code [firstPair, firstPair + pairCount)} of
     * a frame laid out as in {@link PauliFrame} (2 bits per pair, 32 pairs per word).
     *
     * @param frameWords the frame to corrupt in place.
     * @param firstPair  index of the first pair affected.
     * @param pairCount  number of pairs affected.
     * @return how many pairs received a non-identity error.
     */
    public long xorErrors(final long[] frameWords, final long firstPair, final long pairCount)
    {
        if (firstPair < 0 || pairCount < 0 || firstPair + pairCount > (long)frameWords.length * PauliFrame.PAIRS_PER_WORD)
        {
            throw new IndexOutOfBoundsException("pairs [" + firstPair + ", " + (firstPair + pairCount) +
                ") outside a frame of " + (long)frameWords.length * PauliFrame.PAIRS_PER_WORD + " pairs");
        }
        if (errorProbability <= 0 || pairCount == 0)
        {
            return 0;
        }
        final long end = firstPair + pairCount;
        long errors = 0;
        long pair = firstPair + nextGap();
        while (pair < end)
        {
            PauliFrame.xorSymbol(frameWords, pair, nextLabel());
            errors++;
            pair += 1 + nextGap();
        }
        return errors;
    }

    /**
     * Draws one error label (0 = no error) for a single pair.
     *
     * @return 0, {@link PauliChannel#X}, {@link PauliChannel#Z} or {@link PauliChannel#Y}.
     */
    public int sampleLabel()
    {
        return random.nextDouble() < errorProbability ? nextLabel() : 0;
    }

    private long nextGap()
    {
        if (errorProbability >= 1.0)
        {
            return 0;
        }
        final double u = 1.0 - random.nextDouble();
        final double gap = Math.floor(Math.log(u) / logNoError);
        return gap >= Long.MAX_VALUE / 2 ? Long.MAX_VALUE / 2 : (long)gap;
    }

    private int nextLabel()
    {
        final double u = random.nextDouble() * errorProbability;
        if (u < channel.pX())
        {
            return PauliChannel.X;
        }
        return u < channel.pX() + channel.pY() ? PauliChannel.Y : PauliChannel.Z;
    }
}
