package io.qring.channel.codec;

/**
 * A wire frame the decoder refuses. No pair is consumed when it is thrown.
 */
public final class SuperdenseFrameException extends RuntimeException
{
    /** Why a frame was refused. */
    public enum Reason
    {
        /** Fewer bytes than the header, or than the header announces. */
        TRUNCATED,
        /** Not a superdense frame: wrong magic, negative length or trailing bytes. */
        MALFORMED,
        /** Encoded over the pairs of another link (or another link seed). */
        WRONG_LINK,
        /** Starts at a pair other than the receiver's next pair: frames lost, replayed or reordered. */
        OUT_OF_ORDER
    }

    private final Reason reason;

    /**
     * @param reason  why the frame was refused.
     * @param message what was found and what was expected.
     */
    public SuperdenseFrameException(final Reason reason, final String message)
    {
        super(reason + ": " + message);
        this.reason = reason;
    }

    /** @return why the frame was refused. */
    public Reason reason()
    {
        return reason;
    }
}
