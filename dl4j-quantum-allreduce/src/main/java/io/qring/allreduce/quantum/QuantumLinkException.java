package io.qring.allreduce.quantum;

import io.qring.allreduce.link.LinkException;
import io.qring.channel.verify.VerificationResult;

/**
 * A quantum link could not deliver a message it can vouch for: verification raised an alarm under
 * {@link AlarmPolicy#ABORT}, or a frame still failed its integrity check after the configured number
 * of repair rounds. The link never delivers wrong numbers instead.
 */
public final class QuantumLinkException extends LinkException
{
    /**
     * @param peerName the peer at the other end of the link.
     * @param message  what went wrong.
     * @param cause    underlying failure, or {@code null}.
     */
    public QuantumLinkException(final String peerName, final String message, final Throwable cause)
    {
        super(peerName, message, cause);
    }

    /**
     * The failure of a link whose verification raised an alarm under {@link AlarmPolicy#ABORT}, as
     * either end reports it.
     *
     * @param peerName the peer at the other end of the link.
     * @param link     the link's name.
     * @param alarm    the round that raised the alarm.
     * @param detail   what this end adds, e.g. {@code " (nothing was coded on its pairs)"}; may be empty.
     * @return the failure, naming the estimate, its bound and the threshold.
     */
    static QuantumLinkException verificationAlarm(final String peerName, final String link, final VerificationResult alarm,
        final String detail)
    {
        return new QuantumLinkException(peerName, "verification of link " + link + " raised an alarm: estimated QBER " + alarm.qber() +
            " (lower bound " + alarm.lowerBound() + ") over " + alarm.sampledPairs() + " sacrificed pairs exceeds the threshold " +
            alarm.settings().qberThreshold() + "; aborting as configured" + detail, null);
    }

    @Override
    public QuantumLinkException withContext(final String context)
    {
        return new QuantumLinkException(peerName(), context + ": " + getMessage(), this);
    }
}
