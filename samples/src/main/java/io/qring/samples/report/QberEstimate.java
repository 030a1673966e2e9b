package io.qring.samples.report;

/**
 * The result of one verification round on one link: the quantum bit error rate estimated from the
 * sacrificed pairs, with its Hoeffding upper bound estimate + ε. The alarm rule uses the other side of
 * the interval: a round raises an alarm when the lower bound estimate − ε exceeds the QBER threshold.
 *
 * @param link         directed link, e.g. {@code "0->1"}.
 * @param round        verification round number on that link.
 * @param iteration    training iteration during which the round ran.
 * @param sampledPairs EPR pairs measured (sacrificed) for the estimate.
 * @param estimate     observed mismatch rate, in {@code [0, 1]}.
 * @param upperBound   upper confidence bound estimate + ε of the QBER, capped at 1, in {@code [estimate, 1]}.
 * @param alarm        whether the round raised an alarm (lower bound estimate − ε above the threshold).
 */
public record QberEstimate(String link, long round, long iteration, long sampledPairs, double estimate, double upperBound,
    boolean alarm)
{
    /**
     * Validates the rates.
     *
     * @param link         directed link, e.g. {@code "0->1"}.
     * @param round        verification round number on that link.
     * @param iteration    training iteration during which the round ran.
     * @param sampledPairs EPR pairs measured (sacrificed) for the estimate.
     * @param estimate     observed mismatch rate, in {@code [0, 1]}.
     * @param upperBound   upper confidence bound estimate + ε of the QBER, capped at 1, in {@code [estimate, 1]}.
     * @param alarm        whether the round raised an alarm (lower bound estimate − ε above the threshold).
     * @throws IllegalArgumentException if the rates are not ordered probabilities or the sample count is negative.
     */
    public QberEstimate
    {
        if (!(estimate >= 0.0 && estimate <= upperBound && upperBound <= 1.0))
        {
            throw new IllegalArgumentException(
                "need 0 <= estimate <= upperBound <= 1: estimate=" + estimate + ", upperBound=" + upperBound);
        }
        if (sampledPairs < 0)
        {
            throw new IllegalArgumentException("sampled pairs must not be negative: " + sampledPairs);
        }
    }
}
