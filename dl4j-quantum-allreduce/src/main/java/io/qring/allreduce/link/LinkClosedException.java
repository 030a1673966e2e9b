package io.qring.allreduce.link;

/** This side of a link was closed (or aborted) and can no longer send or receive. */
public final class LinkClosedException extends LinkException
{
    /**
     * @param peerName the peer of the closed link.
     * @param message  why the link is closed.
     */
    public LinkClosedException(final String peerName, final String message)
    {
        super(peerName, message, null);
    }

    /**
     * @param peerName the peer of the closed link.
     * @param message  why the link is closed.
     * @param cause    underlying failure.
     */
    public LinkClosedException(final String peerName, final String message, final Throwable cause)
    {
        super(peerName, message, cause);
    }

    /** {@inheritDoc} */
    @Override
    public LinkClosedException withContext(final String context)
    {
        return new LinkClosedException(peerName(), context + ": " + getMessage(), this);
    }
}
