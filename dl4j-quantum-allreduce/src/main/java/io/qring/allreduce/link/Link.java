package io.qring.allreduce.link;

import io.qring.channel.ledger.LinkLedger;
import org.agrona.DirectBuffer;

/**
 * A reliable, ordered, message-oriented duplex channel between this rank and one ring neighbour.
 * <p>
 * The ring engine sends data only on its {@code next} link and receives data only on its
 * {@code previous} link; the reverse directions exist so that a decorator (see {@link LinkWrapper})
 * can send control messages back (acknowledgements, retransmission requests): a receiver answers on
 * its previous link and the sender reads the answer on its next link.
 * <p>
 * Deadlines are absolute values of {@link System#nanoTime()}. Every blocking call either completes,
 * or throws a {@link LinkException} naming the peer: {@link LinkTimeoutException},
 * {@link PeerFailedException}, {@link LinkClosedException}, {@link FrameRejectedException}, or a decorator's own
 * subtype (a quantum link's {@code QuantumLinkException}).
 * A link may be used by two threads at once, one calling {@link #send} and one calling {@link #receive}
 * (a quantum sender sends on its caller's thread and reads acknowledgements on its control thread);
 * each of the two is called by one thread at a time.
 */
public interface Link extends AutoCloseable
{
    /** @return the rank of the neighbour at the other end. */
    int peerRank();

    /** @return a human-readable name of the neighbour and transport, used in every error message. */
    String peerName();

    /** @return the largest payload, in bytes, one {@link #send} may carry. */
    int maxMessageLength();

    /**
     * Sends one message. Returns once the message is handed to the transport, which delivers it
     * reliably and in order unless the peer fails (sends are asynchronous: the peer may not have read it).
     *
     * @param buffer        holding the payload.
     * @param offset        at which the payload starts.
     * @param length        of the payload, in {@code [0, maxMessageLength()]}.
     * @param deadlineNanos absolute {@link System#nanoTime()} by which the message must be handed over.
     */
    void send(DirectBuffer buffer, int offset, int length, long deadlineNanos);

    /**
     * How many messages of {@code length} bytes {@link #send} hands over while the peer has received none
     * of them, before a send waits for the peer to receive. A ring engine sends ahead of its receives at
     * most this many less two ({@link io.qring.allreduce.RingAllReduce#sendAhead()}), so its ranks can never
     * all wait to send at once: an answer larger than the truth can deadlock a ring.
     *
     * @param length payload bytes of each message, in {@code [0, maxMessageLength()]}.
     * @return at least 1 (the default, for a link that does not know).
     */
    default int maxUnreceivedMessages(int length)
    {
        return 1;
    }

    /**
     * Receives exactly one whole message and hands it to {@code handler} before returning. If the
     * handler throws, the message counts as consumed and the exception propagates.
     *
     * @param handler       called once with the message.
     * @param deadlineNanos absolute {@link System#nanoTime()} by which a message must have arrived.
     */
    void receive(MessageHandler handler, long deadlineNanos);

    /**
     * Ends a collective on this link: sends now whatever a decorator holds back from the reverse
     * direction (e.g. acknowledgements it batches), so a sender learns that nothing needs to be resent,
     * and does what belongs between collectives (a quantum link waits until its peer has everything,
     * then tops up its EPR pool). The ring engine calls it on both its links after every collective,
     * the previous link first: a sender's flush may wait for what its peer's flush of the reverse link
     * sends.
     *
     * @param deadlineNanos {@link System#nanoTime()} by which to return or throw.
     * @throws LinkException if the link fails, or its peer does not answer, by the deadline.
     */
    default void flush(long deadlineNanos)
    {
    }

    /**
     * After a {@link #send} failed with a {@link PeerFailedException} that carries no abort reason (the
     * peer stopped reading): the reason the peer gave when it aborted, if it sent one before it stopped.
     * It travels on the reverse direction, which on a link no decorator reads nobody else would read.
     * The sending thread calls it once its send failed; a decorator that reads the reverse direction on a
     * thread of its own answers from what that thread read, or reads on once that thread has stopped.
     *
     * @param deadlineNanos {@link System#nanoTime()} by which to stop looking.
     * @return the peer's abort reason, or {@code null} if none arrived by the deadline or the peer's
     *         stream ended without one.
     */
    default String awaitPeerAbortReason(long deadlineNanos)
    {
        return null;
    }

    /**
     * The ledger of what this end of the link put on the wire toward its peer, named after the directed
     * link it counts toward: the outbound direction ({@code "self->peer"}, a classical ring's previous link
     * {@code "self->peer (return)"}), except that the receiving end of a quantum link counts its
     * acknowledgements and verification announcements under the data link's name ({@code "peer->self"}),
     * so that link's counts are split between its two ends ({@code LedgerSnapshot.mergeByLink} joins them).
     * Each end also counts here the frames it received and dropped ({@code REJECTED_FRAMES}): frames dropped
     * from link i->j's data stream are in {@code "i->j"} on a quantum ring, and in the receiving end's
     * {@code "j->i (return)"} on a classical one.
     *
     * @return the ledger, never {@code null}.
     */
    LinkLedger ledger();

    /**
     * Best effort: tells the peer that this rank is giving up, and why, so the peer fails at once
     * with a {@link PeerFailedException} carrying {@code reason} instead of waiting for a timeout.
     * Afterwards this link refuses to send or receive. Never throws.
     *
     * @param reason why this rank gives up; should name the rank that failed first.
     */
    void abort(String reason);

    /** Releases the link's transport resources. Idempotent; never throws. */
    @Override
    void close();
}
