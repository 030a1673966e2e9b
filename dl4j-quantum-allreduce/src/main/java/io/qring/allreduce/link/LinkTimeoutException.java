package io.qring.allreduce.link;

/** A send or receive on a link did not complete before its deadline. */
public final class LinkTimeoutException extends LinkException
{
    /**
     * @param peerName the peer that was awaited.
     * @param message  what was awaited and for how long.
     */
    public LinkTimeoutException(final String peerName, final String message)
    {
        super(peerName, message, null);
    }

    /**
     * @param peerName the peer that was awaited.
     * @param message  what was awaited and for how long.
     * @param cause    underlying failure.
     */
    public LinkTimeoutException(final String peerName, final String message, final Throwable cause)
    {
        super(peerName, message, cause);
    }

    /** {@inheritDoc} */
    @Override
    public LinkTimeoutException withContext(final String context)
    {
        return new LinkTimeoutException(peerName(), context + ": " + getMessage(), this);
    }
}
