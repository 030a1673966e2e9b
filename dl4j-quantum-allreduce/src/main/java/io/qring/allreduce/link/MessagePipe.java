package io.qring.allreduce.link;

import org.agrona.DirectBuffer;

/**
 * The raw, unauthenticated transport under an {@link AuthenticatedLink}: one outbound and one inbound
 * stream of whole messages between this rank and one peer (an Aeron publication and subscription,
 * or a pair of in-memory queues). Non-blocking; the link adds deadlines, framing and authentication.
 */
public interface MessagePipe extends AutoCloseable
{
    /** Outcome of one {@link #offer} attempt, mirroring Aeron's publication results. */
    enum OfferStatus
    {
        /** The message was handed to the transport. */
        SENT,
        /** Nobody is reading the outbound stream (not yet, or no longer). */
        NOT_CONNECTED,
        /** Flow control: the reader is behind; retry later. */
        BACK_PRESSURED,
        /** The transport is busy with housekeeping (e.g. a term rotation); retry at once. */
        ADMIN_ACTION,
        /** The outbound stream is closed. */
        CLOSED,
        /** The outbound stream reached its largest possible position and must be replaced. */
        MAX_POSITION_EXCEEDED
    }

    /** Receives whole messages from {@link #poll}. */
    @FunctionalInterface
    interface MessageConsumer
    {
        /**
         * @param buffer    holding the message; valid only during the call.
         * @param offset    at which it starts.
         * @param length    its length.
         * @param sessionId identifies the sending stream (an Aeron session), so a link can lock onto
         *                  the stream that authenticated.
         */
        void onMessage(DirectBuffer buffer, int offset, int length, int sessionId);
    }

    /**
     * Tries once to send one message made of two parts.
     *
     * @param header        first part.
     * @param headerOffset  its offset.
     * @param headerLength  its length.
     * @param payload       second part.
     * @param payloadOffset its offset.
     * @param payloadLength its length.
     * @return what happened.
     */
    OfferStatus offer(
        DirectBuffer header,
        int headerOffset,
        int headerLength,
        DirectBuffer payload,
        int payloadOffset,
        int payloadLength);

    /**
     * Delivers at most a bounded amount of inbound data; whole messages only reach {@code consumer}.
     *
     * @param consumer      receives each completed message.
     * @param fragmentLimit largest number of transport fragments to consume.
     * @return units of work done (0 when nothing arrived).
     */
    int poll(MessageConsumer consumer, int fragmentLimit);

    /**
     * From now on, deliver only messages of this sending stream (the one that authenticated) and watch
     * it for the peer going away.
     *
     * @param sessionId the session id seen by {@link MessageConsumer#onMessage}.
     */
    void acceptOnlySession(int sessionId);

    /**
     * @return {@code null} while the peer's sending end is alive; otherwise how it went away (all its
     *         messages have been consumed by then).
     */
    String peerGoneReason();

    /**
     * @param length bytes of each message, header included, at most {@link #maxMessageLength()}.
     * @return how many such messages offers take while the peer has polled none of them, at least 1 (the
     *         default, for a pipe that does not know).
     */
    default int maxUnreceivedMessages(int length)
    {
        return 1;
    }

    /** @return the largest whole message (header plus payload) one {@link #offer} may carry. */
    int maxMessageLength();

    /** @return the transport and its addresses, for messages (e.g. {@code "udp 127.0.0.1:40123 stream 1002"}). */
    String describe();

    /** Releases the pipe. Idempotent; never throws. */
    @Override
    void close();
}
