package io.qring.channel.verify;

/**
 * Alarm rule of a verifier, validated once.
 *
 * <p>With n sacrificed pairs, m mismatches, q̂ = m/n and Hoeffding radius ε = √(ln(1/δ)/(2n)), the link
 * raises an alarm when the lower confidence bound q̂ − ε exceeds the threshold τ. Since the n
 * mismatch indicators are independent Bernoulli(Q) draws, Hoeffding's inequality gives both
 * guarantees: an honest link with true QBER Q ≤ τ raises a false alarm with probability ≤ δ, and a
 * link with Q ≥ τ + 2ε is missed with probability ≤ δ.
 *
 * @param qberThreshold the threshold τ on the QBER, in (0, 0.5).
 * @param delta         the confidence parameter δ, in (0, 1).
 */
public record VerificationSettings(double qberThreshold, double delta)
{
    /** Default threshold: 5 % QBER. */
    public static final double DEFAULT_QBER_THRESHOLD = 0.05;
    /** Default confidence parameter: 10^−6. */
    public static final double DEFAULT_DELTA = 1e-6;

    /**
     * Validates the rule.
     *
     * @throws IllegalArgumentException if the threshold is not in (0, 0.5) or δ not in (0, 1).
     */
    public VerificationSettings
    {
        if (!(qberThreshold > 0 && qberThreshold < 0.5))
        {
            throw new IllegalArgumentException("QBER threshold must be in (0, 0.5), got " + qberThreshold);
        }
        if (!(delta > 0 && delta < 1))
        {
            throw new IllegalArgumentException("verification delta must be in (0, 1), got " + delta);
        }
    }

    /** @return the rule with the default threshold and δ. */
    public static VerificationSettings defaults()
    {
        return new VerificationSettings(DEFAULT_QBER_THRESHOLD, DEFAULT_DELTA);
    }

    /**
     * @param sampledPairs n &gt; 0.
     * @return the Hoeffding radius √(ln(1/δ)/(2n)).
     */
    public double hoeffdingRadius(final long sampledPairs)
    {
        if (sampledPairs <= 0)
        {
            throw new IllegalArgumentException("Hoeffding radius needs at least one sampled pair, got " + sampledPairs);
        }
        return Math.sqrt(Math.log(1 / delta) / (2.0 * sampledPairs));
    }

    /**
     * @param mismatches   m.
     * @param sampledPairs n &gt; 0.
     * @return whether m mismatches out of n raise an alarm, m/n − ε &gt; τ.
     */
    public boolean isAlarm(final long mismatches, final long sampledPairs)
    {
        return (double)mismatches / sampledPairs - hoeffdingRadius(sampledPairs) > qberThreshold;
    }

    /**
     * Sacrificed pairs per round that guarantee a link with true QBER ≥ {@code qber} is caught with
     * probability ≥ 1 − δ: the smallest n with τ + 2ε(n) ≤ qber, i.e. n = ⌈2·ln(1/δ)/(qber − τ)²⌉.
     *
     * @param qber QBER to detect, above the threshold.
     * @return the number of pairs to sacrifice.
     */
    public long pairsToDetect(final double qber)
    {
        if (!(qber > qberThreshold && qber <= 1))
        {
            throw new IllegalArgumentException("QBER to detect must be in (threshold " + qberThreshold + ", 1], got " + qber);
        }
        final double gap = qber - qberThreshold;
        return (long)Math.ceil(2 * Math.log(1 / delta) / (gap * gap));
    }
}
