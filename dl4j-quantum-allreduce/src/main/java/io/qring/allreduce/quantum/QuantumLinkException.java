package io.qring.allreduce.quantum;

import io.qring.allreduce.link.LinkException;

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

    @Override
    public QuantumLinkException withContext(final String context)
    {
        return new QuantumLinkException(peerName(), context + ": " + getMessage(), this);
    }
}
