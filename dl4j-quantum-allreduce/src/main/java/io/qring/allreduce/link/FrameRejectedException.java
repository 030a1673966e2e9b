package io.qring.allreduce.link;

/**
 * A frame arriving on a link was refused: malformed, not from a member holding the shared secret,
 * addressed to someone else, or replayed. Links drop such frames and count them (see
 * {@link AuthenticatedLink#rejectedFrames()}); this exception reaches a caller only when the stream
 * itself is provably broken ({@link Reason#SEQUENCE_GAP}: an authentic frame went missing) or an
 * authentic DATA frame was read while no receive was in progress ({@link Reason#UNEXPECTED_TYPE}).
 */
public final class FrameRejectedException extends LinkException
{
    /** Why a frame was refused. */
    public enum Reason
    {
        /** Shorter than a frame header, or its declared payload length disagrees with its size. */
        TRUNCATED,
        /** Magic number or version is not ours. */
        BAD_MAGIC,
        /** Unknown frame type, non-zero reserved field, or wrong link direction. */
        BAD_FIELD,
        /** Ring id differs from this ring's. */
        WRONG_RING,
        /** Source or destination rank is not this link's peer and self. */
        WRONG_RANK,
        /** Authentication tag does not match: sender lacks the secret or the frame was altered. */
        BAD_TAG,
        /** Authentic but already seen (sequence number not greater than the last accepted). */
        REPLAYED,
        /** Authentic but at least one earlier authentic frame is missing: the stream is broken. */
        SEQUENCE_GAP,
        /** Frame type not allowed in the link's current state (e.g. data before the handshake). */
        UNEXPECTED_TYPE
    }

    private final Reason reason;

    /**
     * @param peerName the peer the frame claimed to come from (this link's peer).
     * @param reason   why it was refused.
     * @param detail   the offending values.
     */
    public FrameRejectedException(final String peerName, final Reason reason, final String detail)
    {
        super(peerName, "frame from " + peerName + " rejected (" + reason + "): " + detail, null);
        this.reason = reason;
    }

    private FrameRejectedException(final FrameRejectedException original, final String context)
    {
        super(original.peerName(), context + ": " + original.getMessage(), original);
        this.reason = original.reason;
    }

    /** @return why the frame was refused. */
    public Reason reason()
    {
        return reason;
    }

    /** {@inheritDoc} */
    @Override
    public FrameRejectedException withContext(final String context)
    {
        return new FrameRejectedException(this, context);
    }
}
