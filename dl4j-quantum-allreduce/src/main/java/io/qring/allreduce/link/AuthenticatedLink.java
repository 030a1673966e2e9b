package io.qring.allreduce.link;

import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LinkLedger;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.qring.allreduce.link.FrameHeaderFlyweight.HEADER_LENGTH;
import static io.qring.allreduce.link.FrameHeaderFlyweight.TYPE_ABORT;
import static io.qring.allreduce.link.FrameHeaderFlyweight.TYPE_DATA;
import static io.qring.allreduce.link.FrameHeaderFlyweight.TYPE_HELLO;
import static io.qring.allreduce.link.FrameHeaderFlyweight.TYPE_PROOF;

/**
 * The classical {@link Link}: framing, membership authentication and accounting over a raw
 * {@link MessagePipe}.
 * <p>
 * <b>Handshake</b> (challenge-response, mutual): each side sends HELLO with a fresh 16-byte nonce
 * from {@link SecureRandom}; on a HELLO each side answers PROOF(echo of the peer's nonce, own nonce),
 * both tagged with the handshake key. A valid PROOF echoing our nonce shows the peer holds the secret
 * now (not a replay); then both derive per-direction session keys from the secret and the two nonces,
 * and the link locks onto the peer's stream. Since a HELLO may be replayed, only such a PROOF is
 * judged (its world size must match), and its nonce is answered even if the peer's HELLO was lost.
 * Driven without blocking by {@link #doHandshakeWork()}, so a rank can progress both of its links at
 * once.
 * <p>
 * <b>Frames</b>: every message carries a {@link FrameHeaderFlyweight} with a 128-bit tag and a
 * strictly consecutive sequence number; DATA and ABORT payloads travel sealed with AES-256-GCM under
 * the direction's session key, handshake frames are tagged with HMAC-SHA256 ({@link FrameCodec}). Frames that are
 * malformed, unauthenticated, misaddressed or replayed are <em>dropped and counted</em>
 * ({@link #rejectedFrames()}), not thrown: a process without the secret can then neither join nor
 * inject, nor make a member fail by injecting garbage; if the awaited authentic frame never comes,
 * the receive (or the handshake) times out at its deadline however fast garbage keeps arriving, and
 * its message reports the rejected frames. The one exception is an authentic frame arriving after a
 * gap: an authentic frame was lost, the stream can no longer be trusted, and
 * {@link FrameRejectedException} ({@code SEQUENCE_GAP}) is thrown (as it is, with {@code UNEXPECTED_TYPE},
 * for an authentic DATA frame read while no receive was in progress). A frame the transport refused
 * (a send that timed out) spends no sequence number, so an {@link #abort} after it still reaches the
 * peer.
 * <p>
 * <b>Ledger</b> (outbound direction): {@code PAYLOAD_BITS} counts DATA payload; {@code ONLINE_CLASSICAL_BITS}
 * and {@code CLASSICAL_EQUIVALENT_BITS} count every frame sent, header included (handshake and abort
 * frames too); {@code REJECTED_FRAMES} counts the frames this end received and dropped, the same count
 * as {@link #rejectedFrames()}.
 */
public final class AuthenticatedLink implements Link
{
    /** Length of each side's handshake nonce, bytes. */
    public static final int NONCE_LENGTH = 16;
    /**
     * Longest abort reason carried to the peer, bytes of UTF-8; a link carrying shorter messages
     * ({@link #maxMessageLength()}) cuts the reason to fit, at a character boundary.
     */
    public static final int MAX_ABORT_REASON_LENGTH = 1024;
    /** How long {@link #abort} keeps trying to hand its frame to the transport. */
    public static final long ABORT_SEND_TIMEOUT_NS = TimeUnit.MILLISECONDS.toNanos(200);

    private static final Logger LOG = LoggerFactory.getLogger(AuthenticatedLink.class);
    private static final int HANDSHAKE_POLLS_PER_WORK = 16;
    /** What {@link #awaitPeerAbortReason} does with DATA the peer sent on the reverse direction: nothing. */
    private static final MessageHandler IGNORED_DATA = (buffer, offset, length) -> {};

    private final MessagePipe pipe;
    private final MembershipSecret secret;
    private final FrameCodec codec;
    private final long ringId;
    private final int selfRank;
    private final int peerRank;
    private final int worldSize;
    private final String peerName;
    private final LinkLedger ledger;
    private final IdleStrategy sendIdle;
    private final IdleStrategy receiveIdle;
    private final HandshakeNonces nonces;
    private final UnsafeBuffer controlBuffer =
        new UnsafeBuffer(new byte[Math.max(HandshakeNonces.PROOF_LENGTH, MAX_ABORT_REASON_LENGTH)]);
    private final Map<FrameRejectedException.Reason, Long> rejectedByReason = new EnumMap<>(FrameRejectedException.Reason.class);
    private final MessagePipe.MessageConsumer consumer = this::onFrame;

    private boolean helloSent;
    private boolean established;
    private RuntimeException handshakeFailure;
    private String lastRejection;
    private long rejectedFrames;

    private MessageHandler userHandler;
    private boolean delivered;
    private Throwable handlerFailure;
    /** Written by the receiving thread, read by a sending thread too (see {@link Link}). */
    private volatile FrameRejectedException streamFailure;
    /** Written by the receiving thread, read by a sending thread too. */
    private volatile String peerAbortReason;
    private volatile String localAbortReason;
    private volatile boolean closed;

    /**
     * @param pipe         the raw transport to the peer; owned (closed) by this link.
     * @param secret       the ring's shared secret.
     * @param ringId       ring id stamped on every frame.
     * @param selfRank     this rank.
     * @param peerRank     the peer's rank.
     * @param worldSize    number of ranks; both sides must agree.
     * @param forward      {@code true} for a rank's next link, {@code false} for its previous link.
     * @param peerName     name of the peer for messages, e.g. {@code "rank 2 (ipc stream 1004)"}.
     * @param ledger       ledger of the outbound direction.
     * @param sendIdle     how a send waits out back-pressure.
     * @param receiveIdle  how a receive waits for frames; sends and receives may
     *                     run on two threads, each with its own strategy.
     * @param random       source of the handshake nonce.
     */
    public AuthenticatedLink(
        final MessagePipe pipe,
        final MembershipSecret secret,
        final long ringId,
        final int selfRank,
        final int peerRank,
        final int worldSize,
        final boolean forward,
        final String peerName,
        final LinkLedger ledger,
        final IdleStrategy sendIdle,
        final IdleStrategy receiveIdle,
        final SecureRandom random)
    {
        this.pipe = pipe;
        this.secret = secret;
        this.ringId = ringId;
        this.selfRank = selfRank;
        this.peerRank = peerRank;
        this.worldSize = worldSize;
        this.peerName = peerName;
        this.ledger = ledger;
        this.sendIdle = sendIdle;
        this.receiveIdle = receiveIdle;
        this.codec = new FrameCodec(ringId, selfRank, peerRank, peerName, forward,
            pipe.maxMessageLength() - HEADER_LENGTH, secret.handshakeKey());
        this.nonces = new HandshakeNonces(worldSize, random);
    }

    /** {@inheritDoc} */
    @Override
    public int peerRank()
    {
        return peerRank;
    }

    /** {@inheritDoc} */
    @Override
    public String peerName()
    {
        return peerName;
    }

    /** {@inheritDoc} */
    @Override
    public int maxMessageLength()
    {
        return pipe.maxMessageLength() - HEADER_LENGTH;
    }

    /** {@inheritDoc} */
    @Override
    public int maxUnreceivedMessages(final int length)
    {
        return pipe.maxUnreceivedMessages(HEADER_LENGTH + length);
    }

    /** {@inheritDoc} */
    @Override
    public LinkLedger ledger()
    {
        return ledger;
    }

    /** @return whether the handshake has completed in both directions as far as this side can tell. */
    public boolean isEstablished()
    {
        return established;
    }

    /** @return frames dropped because they were malformed, unauthenticated, misaddressed or replayed. */
    public long rejectedFrames()
    {
        return rejectedFrames;
    }

    /**
     * @param reason a rejection reason.
     * @return how many frames were dropped for it.
     */
    public long rejectedFrames(final FrameRejectedException.Reason reason)
    {
        return rejectedByReason.getOrDefault(reason, 0L);
    }

    /**
     * Advances the handshake without blocking: sends HELLO once the peer listens, answers HELLOs,
     * checks PROOFs.
     *
     * @return units of work done, 0 if nothing could progress.
     * @throws LinkException         if the pipe closed (a peer that vanishes mid-handshake surfaces as the
     *                               connect timeout).
     * @throws IllegalStateException if the peer holds the secret but disagrees on the world size.
     */
    public int doHandshakeWork()
    {
        if (established)
        {
            return 0;
        }
        if (null != handshakeFailure)
        {
            throw handshakeFailure;
        }
        if (closed)
        {
            throw new LinkClosedException(peerName, "link to " + peerName + " closed during the handshake");
        }
        int work = 0;
        if (!helloSent)
        {
            if (tryOfferControl(TYPE_HELLO, nonces.writeHello(controlBuffer)))
            {
                helloSent = true;
                work++;
            }
        }
        for (int i = 0; i < HANDSHAKE_POLLS_PER_WORK && null == nonces.peerNonce(); i++)
        {
            final int polled = pipe.poll(consumer, 1);
            if (null != handshakeFailure)
            {
                throw handshakeFailure;
            }
            if (0 == polled)
            {
                break;
            }
            work += polled;
        }
        while (helloSent)
        {
            final int proofLength = nonces.writeNextProof(controlBuffer);
            if (0 == proofLength || !tryOfferControl(TYPE_PROOF, proofLength))
            {
                break;
            }
            nonces.proofSent();
            work++;
        }
        if (nonces.isDone())
        {
            established = true;
            LOG.debug("rank {}: link to {} authenticated", selfRank, peerName);
            work++;
        }
        return work;
    }

    /**
     * Describes what the handshake still waits for, for timeout messages.
     *
     * @return e.g. {@code "waiting for an authenticated HELLO/PROOF from rank 2 (ipc)"}.
     */
    public String handshakeProgress()
    {
        final String stage;
        if (established)
        {
            stage = "authenticated";
        }
        else if (!helloSent)
        {
            stage = "waiting for " + peerName + " to connect (" + pipe.describe() + ")";
        }
        else if (null == nonces.peerNonce())
        {
            stage = "waiting for an authenticated HELLO/PROOF from " + peerName;
        }
        else
        {
            stage = "waiting to send PROOF to " + peerName;
        }
        return stage + rejectionSummary();
    }

    /** {@inheritDoc} */
    @Override
    public void send(final DirectBuffer buffer, final int offset, final int length, final long deadlineNanos)
    {
        sendData(buffer, offset, length, deadlineNanos);
        ledger.add(LedgerCounter.PAYLOAD_BITS, 8L * length);
    }

    /**
     * Sends a message of the ring's own setup, after the handshake and before the engine uses the link
     * (each rank's ring settings), as a {@link #send} does, but counted like the handshake: as online
     * classical bits, not as payload. The peer receives it with {@link #receive}.
     *
     * @param buffer        holding the message.
     * @param offset        at which it starts.
     * @param length        of the message, in {@code [0, maxMessageLength()]}.
     * @param deadlineNanos absolute {@link System#nanoTime()} by which the message must be handed over.
     */
    public void sendSetup(final DirectBuffer buffer, final int offset, final int length, final long deadlineNanos)
    {
        sendData(buffer, offset, length, deadlineNanos);
    }

    private void sendData(final DirectBuffer buffer, final int offset, final int length, final long deadlineNanos)
    {
        ensureUsable();
        if (length < 0 || length > maxMessageLength())
        {
            throw new IllegalArgumentException("message of " + length + " bytes to " + peerName +
                " outside [0, " + maxMessageLength() + "]");
        }
        final DirectBuffer header = codec.encode(TYPE_DATA, buffer, offset, length);
        offerUntilSent(header, codec.outgoingPayload(), codec.outgoingPayloadOffset(), length, deadlineNanos);
    }

    /** {@inheritDoc} */
    @Override
    public void receive(final MessageHandler handler, final long deadlineNanos)
    {
        ensureUsable();
        final long start = System.nanoTime();
        userHandler = handler;
        delivered = false;
        handlerFailure = null;
        receiveIdle.reset();
        try
        {
            while (true)
            {
                final int work = pipe.poll(consumer, 1);
                if (delivered)
                {
                    if (null != handlerFailure)
                    {
                        rethrow(handlerFailure);
                    }
                    return;
                }
                if (null != streamFailure)
                {
                    throw streamFailure;
                }
                if (null != peerAbortReason)
                {
                    throw PeerFailedException.aborted(peerName, peerAbortReason, null);
                }
                if (closed)
                {
                    throw new LinkClosedException(peerName, "link to " + peerName + " was closed");
                }
                if (0 == work)
                {
                    final String gone = pipe.peerGoneReason();
                    if (null != gone)
                    {
                        throw new PeerFailedException(peerName, peerName + " is gone: " + gone);
                    }
                }
                final long now = System.nanoTime();
                if (now - deadlineNanos >= 0)
                {
                    throw new LinkTimeoutException(peerName, "timed out after " +
                        TimeUnit.NANOSECONDS.toMillis(now - start) + " ms waiting for a message from " + peerName +
                        " (" + pipe.describe() + ")" + rejectionSummary());
                }
                if (0 == work)
                {
                    receiveIdle.idle();
                }
                else
                {
                    receiveIdle.reset();
                }
            }
        }
        finally
        {
            userHandler = null;
        }
    }

    /**
     * Reads the reverse direction until the peer's ABORT frame, the end of its stream or the deadline
     * (checked after every frame, so a flood of frames cannot keep it reading); DATA frames the peer sent on
     * it before are dropped (nobody waits for them any more), and a frame that breaks the stream ends the
     * search.
     */
    @Override
    public String awaitPeerAbortReason(final long deadlineNanos)
    {
        if (closed || null != localAbortReason)
        {
            return peerAbortReason;
        }
        userHandler = IGNORED_DATA;
        sendIdle.reset();
        try
        {
            while (null == peerAbortReason && null == streamFailure && System.nanoTime() - deadlineNanos < 0)
            {
                if (pipe.poll(consumer, 1) > 0)
                {
                    sendIdle.reset();
                }
                else if (null != pipe.peerGoneReason())
                {
                    break;
                }
                else
                {
                    sendIdle.idle();
                }
            }
            return peerAbortReason;
        }
        finally
        {
            userHandler = null;
        }
    }

    /** {@inheritDoc} */
    @Override
    public void abort(final String reason)
    {
        if (null != localAbortReason || closed)
        {
            return;
        }
        localAbortReason = reason;
        if (!established)
        {
            return;
        }
        try
        {
            final byte[] utf8 = reason.getBytes(StandardCharsets.UTF_8);
            final int length = utf8Prefix(utf8, Math.min(MAX_ABORT_REASON_LENGTH, maxMessageLength()));
            controlBuffer.putBytes(0, utf8, 0, length);
            final DirectBuffer header = codec.encode(TYPE_ABORT, controlBuffer, 0, length);
            final long deadline = System.nanoTime() + ABORT_SEND_TIMEOUT_NS;
            while (true)
            {
                final MessagePipe.OfferStatus status = pipe.offer(
                    header, 0, HEADER_LENGTH, codec.outgoingPayload(), codec.outgoingPayloadOffset(), length);
                if (MessagePipe.OfferStatus.SENT == status)
                {
                    onFrameSent(length);
                    break;
                }
                if (MessagePipe.OfferStatus.BACK_PRESSURED != status && MessagePipe.OfferStatus.ADMIN_ACTION != status ||
                    System.nanoTime() - deadline >= 0)
                {
                    break;
                }
                Thread.onSpinWait();
            }
        }
        catch (final RuntimeException ex)
        {
            LOG.debug("rank {}: could not tell {} about the abort", selfRank, peerName, ex);
        }
    }

    /** {@inheritDoc} */
    @Override
    public void close()
    {
        closed = true;
        pipe.close();
    }

    @Override
    public String toString()
    {
        return "AuthenticatedLink{rank " + selfRank + " <-> " + peerName + ", " + pipe.describe() + "}";
    }

    private void onFrame(final DirectBuffer buffer, final int offset, final int length, final int sessionId)
    {
        final byte type;
        try
        {
            type = codec.decode(buffer, offset, length);
        }
        catch (final FrameRejectedException ex)
        {
            if (FrameRejectedException.Reason.SEQUENCE_GAP == ex.reason())
            {
                streamFailure = ex;
            }
            countRejection(ex.reason(), ex.getMessage());
            return;
        }
        final DirectBuffer payload = codec.payloadBuffer();
        final int payloadOffset = codec.payloadOffset();
        final int payloadLength = codec.payloadLength();
        switch (type)
        {
            case TYPE_HELLO -> onHello(payload, payloadOffset, payloadLength);
            case TYPE_PROOF -> onProof(payload, payloadOffset, payloadLength, sessionId);
            case TYPE_DATA -> onData(payload, payloadOffset, payloadLength);
            default -> peerAbortReason = payload.getStringWithoutLengthUtf8(payloadOffset, payloadLength);
        }
    }

    private void onHello(final DirectBuffer buffer, final int offset, final int length)
    {
        if (!nonces.onHello(buffer, offset, length))
        {
            countRejection(FrameRejectedException.Reason.TRUNCATED, "HELLO of " + length + " bytes");
        }
    }

    private void onProof(final DirectBuffer buffer, final int offset, final int length, final int sessionId)
    {
        switch (nonces.checkProof(buffer, offset, length))
        {
            case VALID ->
            {
                final byte[] selfNonce = nonces.selfNonce();
                final byte[] peerNonce = HandshakeNonces.senderNonce(buffer, offset);
                codec.establish(
                    secret.sessionKey(ringId, codec.sendDirection(), selfRank, peerRank, selfNonce, peerNonce),
                    secret.sessionKey(ringId, codec.receiveDirection(), peerRank, selfRank, peerNonce, selfNonce));
                pipe.acceptOnlySession(sessionId);
                nonces.accept(peerNonce);
            }
            case WRONG_LENGTH -> countRejection(FrameRejectedException.Reason.TRUNCATED, "PROOF of " + length + " bytes");
            case ANSWERS_ANOTHER_NONCE ->
                countRejection(FrameRejectedException.Reason.REPLAYED, "PROOF answering another nonce");
            case OTHER_WORLD_SIZE -> handshakeFailure = new IllegalStateException("rank " + selfRank + " and " +
                peerName + " hold the same secret but disagree on the world size: " + worldSize + " vs " +
                nonces.peerWorldSize());
            default -> throw new IllegalStateException("unhandled PROOF outcome");
        }
    }

    private void onData(final DirectBuffer buffer, final int offset, final int length)
    {
        if (null == userHandler)
        {
            streamFailure = new FrameRejectedException(peerName, FrameRejectedException.Reason.UNEXPECTED_TYPE,
                "DATA arrived while no receive was in progress");
            return;
        }
        delivered = true;
        try
        {
            userHandler.onMessage(buffer, offset, length);
        }
        catch (final Throwable ex)
        {
            handlerFailure = ex;
        }
    }

    private boolean tryOfferControl(final byte type, final int length)
    {
        final DirectBuffer header = codec.encode(type, controlBuffer, 0, length);
        final MessagePipe.OfferStatus status = pipe.offer(
            header, 0, HEADER_LENGTH, codec.outgoingPayload(), codec.outgoingPayloadOffset(), length);
        switch (status)
        {
            case SENT ->
            {
                onFrameSent(length);
                return true;
            }
            case CLOSED, MAX_POSITION_EXCEEDED ->
                throw new LinkClosedException(peerName, "link to " + peerName + " closed during the handshake: " + status);
            default ->
            {
                return false;
            }
        }
    }

    private void offerUntilSent(
        final DirectBuffer header, final DirectBuffer payload, final int offset, final int length, final long deadlineNanos)
    {
        final long start = System.nanoTime();
        sendIdle.reset();
        while (true)
        {
            final MessagePipe.OfferStatus status = pipe.offer(header, 0, HEADER_LENGTH, payload, offset, length);
            switch (status)
            {
                case SENT ->
                {
                    onFrameSent(length);
                    return;
                }
                case NOT_CONNECTED -> throw new PeerFailedException(peerName, peerName + " is no longer reading (" +
                    pipe.describe() + ")");
                case CLOSED -> throw new LinkClosedException(peerName, "link to " + peerName + " was closed");
                case MAX_POSITION_EXCEEDED -> throw new LinkClosedException(peerName, "stream to " + peerName +
                    " reached its maximum position and must be reconnected (" + pipe.describe() + ")");
                default ->
                {
                    final long now = System.nanoTime();
                    if (now - deadlineNanos >= 0)
                    {
                        throw new LinkTimeoutException(peerName, "timed out after " +
                            TimeUnit.NANOSECONDS.toMillis(now - start) + " ms sending a " + length + "-byte message to " +
                            peerName + " (" + status + ", " + pipe.describe() + ")");
                    }
                    sendIdle.idle();
                }
            }
        }
    }

    private void onFrameSent(final int payloadLength)
    {
        codec.frameSent();
        final long bits = 8L * (HEADER_LENGTH + payloadLength);
        ledger.add(LedgerCounter.ONLINE_CLASSICAL_BITS, bits);
        ledger.add(LedgerCounter.CLASSICAL_EQUIVALENT_BITS, bits);
    }

    private void countRejection(final FrameRejectedException.Reason reason, final String message)
    {
        rejectedFrames++;
        rejectedByReason.merge(reason, 1L, Long::sum);
        ledger.add(LedgerCounter.REJECTED_FRAMES, 1);
        lastRejection = message;
        if (1 == rejectedFrames)
        {
            LOG.warn("rank {}: dropped a frame: {}", selfRank, message);
        }
        else
        {
            LOG.debug("rank {}: dropped frame #{}: {}", selfRank, rejectedFrames, message);
        }
    }

    private String rejectionSummary()
    {
        return 0 == rejectedFrames ? "" : "; " + rejectedFrames + " frame(s) rejected " + rejectedByReason +
            ", last: " + lastRejection;
    }

    private void ensureUsable()
    {
        if (closed)
        {
            throw new LinkClosedException(peerName, "link to " + peerName + " is closed");
        }
        if (null != localAbortReason)
        {
            throw new LinkClosedException(peerName, "link to " + peerName + " was aborted: " + localAbortReason);
        }
        if (null != streamFailure)
        {
            throw streamFailure;
        }
        if (null != peerAbortReason)
        {
            throw PeerFailedException.aborted(peerName, peerAbortReason, null);
        }
        if (!established)
        {
            throw new IllegalStateException("link to " + peerName + " is not authenticated yet");
        }
    }

    /**
     * @param utf8      UTF-8 bytes.
     * @param maxLength most bytes wanted.
     * @return the length of the longest prefix of at most {@code maxLength} bytes that does not cut a
     *         character in two.
     */
    static int utf8Prefix(final byte[] utf8, final int maxLength)
    {
        if (utf8.length <= maxLength)
        {
            return utf8.length;
        }
        int length = Math.max(0, maxLength);
        while (length > 0 && (utf8[length] & 0xC0) == 0x80)
        {
            length--;
        }
        return length;
    }

    private static void rethrow(final Throwable ex)
    {
        if (ex instanceof RuntimeException runtime)
        {
            throw runtime;
        }
        if (ex instanceof Error error)
        {
            throw error;
        }
        throw new IllegalStateException("message handler failed", ex);
    }
}
