package io.qring.channel.noise;

/**
 * SplitMix64 (Steele, Lea and Flood, 2014) with the JDK's golden gamma: the sequence of
 * {@code new java.util.SplittableRandom(seed)}, but re-seedable in place, so a sampler can restart its
 * stream for every frame without allocating. Not thread-safe.
 */
public final class SplitMix64
{
    /** The odd increment between consecutive states: 2^64 divided by the golden ratio. */
    public static final long GOLDEN_GAMMA = 0x9E37_79B9_7F4A_7C15L;

    private long state;

    /**
     * @param seed first state; the same seed gives the same sequence.
     */
    public SplitMix64(final long seed)
    {
        state = seed;
    }

    /**
     * Restarts the sequence as if the generator had just been built with this seed.
     *
     * @param seed new state.
     */
    public void reseed(final long seed)
    {
        state = seed;
    }

    /** @return the next 64 uniformly distributed bits. */
    public long nextLong()
    {
        state += GOLDEN_GAMMA;
        return mix64(state);
    }

    /** @return the next double, uniform in [0, 1) on a grid of 2^−53. */
    public double nextDouble()
    {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /**
     * Stafford's variant 13 finaliser of SplitMix64: a bijective 64-bit mix.
     *
     * @param z input.
     * @return mixed output.
     */
    public static long mix64(final long z)
    {
        long x = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        x = (x ^ (x >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return x ^ (x >>> 31);
    }
}
