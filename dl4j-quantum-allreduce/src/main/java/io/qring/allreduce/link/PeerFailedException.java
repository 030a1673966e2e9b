package io.qring.allreduce.link;

/**
 * The peer of a link is gone: it closed its end, its transport went away, or it announced that it
 * aborted (in which case the message carries the reason it gave, which may name a rank further away).
 */
public final class PeerFailedException extends LinkException
{
    private final String abortReason;

    /**
     * @param peerName the peer that failed.
     * @param message  how it was noticed.
     */
    public PeerFailedException(final String peerName, final String message)
    {
        this(peerName, message, null, null);
    }

    /**
     * @param peerName the peer that failed.
     * @param message  how it was noticed.
     * @param cause    underlying failure.
     */
    public PeerFailedException(final String peerName, final String message, final Throwable cause)
    {
        this(peerName, message, null, cause);
    }

    /**
     * @param peerName    the peer that failed.
     * @param message     how it was noticed.
     * @param abortReason the reason the peer gave when it aborted, or {@code null} if it did not abort.
     * @param cause       underlying failure, or {@code null}.
     */
    public PeerFailedException(final String peerName, final String message, final String abortReason, final Throwable cause)
    {
        super(peerName, message, cause);
        this.abortReason = abortReason;
    }

    /**
     * @param peerName    the peer that aborted.
     * @param abortReason the reason it sent with its abort.
     * @param cause       how its absence was noticed first, or {@code null}.
     * @return the failure, with the message {@code "<peer> aborted: <reason>"}.
     */
    public static PeerFailedException aborted(final String peerName, final String abortReason, final Throwable cause)
    {
        return new PeerFailedException(peerName, peerName + " aborted: " + abortReason, abortReason, cause);
    }

    /**
     * @return the reason the peer sent with its abort (it usually names the rank that failed first), or
     *         {@code null} if the peer went away without aborting.
     */
    public String abortReason()
    {
        return abortReason;
    }

    /** {@inheritDoc} */
    @Override
    public PeerFailedException withContext(final String context)
    {
        return new PeerFailedException(peerName(), context + ": " + getMessage(), abortReason, this);
    }
}
