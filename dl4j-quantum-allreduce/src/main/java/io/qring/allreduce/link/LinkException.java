package io.qring.allreduce.link;

/**
 * Base of every failure a {@link Link} reports. Each one names the peer it concerns, so an error
 * surfacing from deep inside a collective still says which neighbour was involved.
 */
public abstract class LinkException extends RuntimeException
{
    private final String peerName;

    /**
     * @param peerName the peer the failure concerns, e.g. {@code "rank 2 (ipc stream 1004)"}.
     * @param message  what went wrong; the peer name is already part of it.
     * @param cause    underlying failure, or {@code null}.
     */
    protected LinkException(final String peerName, final String message, final Throwable cause)
    {
        super(message, cause);
        this.peerName = peerName;
    }

    /** @return the peer this failure concerns. */
    public String peerName()
    {
        return peerName;
    }

    /**
     * The same kind of failure with a description of what the caller was doing put in front, so that
     * callers higher up (e.g. the ring engine) can add "which step of which collective" without losing
     * the type callers dispatch on.
     *
     * @param context what the caller was doing, e.g. {@code "allReduce #3 reduce-scatter step 1"}.
     * @return a new exception of the same type whose cause is this one.
     */
    public abstract LinkException withContext(String context);
}
