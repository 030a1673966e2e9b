package io.qring.channel.noise;

/**
 * The two times of a T1/T2 quantum memory, checked and combined in one place for every memory model
 * ({@link PauliChannel#memory}, {@link io.qring.channel.epr.MemoryDecoherence},
 * {@link io.qring.channel.exact.KrausChannel#memory}): relaxation time T1 and coherence time T2, both
 * finite and positive, with T2 ≤ 2·T1 as in any physical memory.
 */
public final class MemoryTimes
{
    private MemoryTimes()
    {
    }

    /**
     * @param t1Seconds relaxation time T1 of the memory.
     * @param t2Seconds coherence time T2 of the memory.
     * @throws IllegalArgumentException if a time is not finite and positive, or T2 &gt; 2·T1.
     */
    public static void validate(final double t1Seconds, final double t2Seconds)
    {
        if (!(t1Seconds > 0) || Double.isInfinite(t1Seconds))
        {
            throw new IllegalArgumentException("memory T1 must be finite and > 0 s, got " + t1Seconds);
        }
        if (!(t2Seconds > 0) || Double.isInfinite(t2Seconds))
        {
            throw new IllegalArgumentException("memory T2 must be finite and > 0 s, got " + t2Seconds);
        }
        if (t2Seconds > 2 * t1Seconds)
        {
            throw new IllegalArgumentException("unphysical memory: T2=" + t2Seconds + " s exceeds 2*T1=" + 2 * t1Seconds + " s");
        }
    }

    /**
     * @param t1Seconds relaxation time T1, valid together with T2 (see {@link #validate}).
     * @param t2Seconds coherence time T2.
     * @return the pure dephasing rate 1/Tφ = 1/T2 − 1/(2·T1) per second, ≥ 0.
     */
    public static double pureDephasingRate(final double t1Seconds, final double t2Seconds)
    {
        return Math.max(0, 1 / t2Seconds - 1 / (2 * t1Seconds));
    }
}
