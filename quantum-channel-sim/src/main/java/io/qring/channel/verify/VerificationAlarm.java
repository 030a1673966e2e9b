package io.qring.channel.verify;

/**
 * A verification round found the QBER of a link above its threshold with confidence 1 − δ: the pairs
 * are too noisy or someone is listening.
 */
public final class VerificationAlarm extends RuntimeException
{
    private final transient VerificationResult result;

    /**
     * @param result the round that raised the alarm.
     */
    public VerificationAlarm(final VerificationResult result)
    {
        super("verification alarm on link '" + result.link() + "' round " + result.round() + ": QBER " + result.qber() +
            " (" + result.mismatches() + "/" + result.sampledPairs() + " mismatches), lower bound " + result.lowerBound() +
            " > threshold " + result.settings().qberThreshold() + " at delta " + result.settings().delta());
        this.result = result;
    }

    /** @return the round that raised the alarm. */
    public VerificationResult result()
    {
        return result;
    }
}
