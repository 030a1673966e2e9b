package io.qring.channel.verify;

/**
 * Outcome of one verification round.
 *
 * @param link            name of the directed link.
 * @param round           distribution round verified.
 * @param sampledPairs    sacrificed pairs measured, n.
 * @param zBasisPairs     pairs measured in the Z basis.
 * @param zMismatches     Z-basis mismatches (the pair's error had an X component).
 * @param xBasisPairs     pairs measured in the X basis.
 * @param xMismatches     X-basis mismatches (the pair's error had a Z component).
 * @param qber            estimated QBER, mismatches / n.
 * @param hoeffdingRadius ε = √(ln(1/δ)/(2n)).
 * @param settings        the alarm rule applied.
 * @param alarm           whether qber − ε exceeded the threshold.
 */
public record VerificationResult(
    String link,
    long round,
    long sampledPairs,
    long zBasisPairs,
    long zMismatches,
    long xBasisPairs,
    long xMismatches,
    double qber,
    double hoeffdingRadius,
    VerificationSettings settings,
    boolean alarm)
{
    /** @return mismatches in both bases. */
    public long mismatches()
    {
        return zMismatches + xMismatches;
    }

    /** @return the lower confidence bound qber − ε, exceeded by the true QBER with probability ≥ 1 − δ. */
    public double lowerBound()
    {
        return qber - hoeffdingRadius;
    }

    /** @return the upper confidence bound qber + ε, above the true QBER with probability ≥ 1 − δ. */
    public double upperBound()
    {
        return qber + hoeffdingRadius;
    }

    /**
     * @throws VerificationAlarm if this round raised an alarm.
     */
    public void throwIfAlarm()
    {
        if (alarm)
        {
            throw new VerificationAlarm(this);
        }
    }
}
