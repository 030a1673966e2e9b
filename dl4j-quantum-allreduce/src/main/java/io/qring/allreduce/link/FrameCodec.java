package io.qring.allreduce.link;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import javax.crypto.Mac;

import static io.qring.allreduce.link.FrameHeaderFlyweight.DIRECTION_FORWARD;
import static io.qring.allreduce.link.FrameHeaderFlyweight.DIRECTION_RETURN;
import static io.qring.allreduce.link.FrameHeaderFlyweight.HEADER_LENGTH;
import static io.qring.allreduce.link.FrameHeaderFlyweight.MAGIC;
import static io.qring.allreduce.link.FrameHeaderFlyweight.TAG_LENGTH;
import static io.qring.allreduce.link.FrameHeaderFlyweight.TAG_OFFSET;
import static io.qring.allreduce.link.FrameHeaderFlyweight.TYPE_ABORT;
import static io.qring.allreduce.link.FrameHeaderFlyweight.TYPE_DATA;
import static io.qring.allreduce.link.FrameHeaderFlyweight.TYPE_HELLO;
import static io.qring.allreduce.link.FrameHeaderFlyweight.TYPE_PROOF;
import static io.qring.allreduce.link.FrameHeaderFlyweight.VERSION;

/**
 * Encodes and authenticates outgoing frame headers and checks incoming frames for one link (both
 * directions between this rank and one peer). Handshake frames (HELLO, PROOF) are tagged with the
 * handshake key and carry sequence 0; session frames (DATA, ABORT) are tagged with per-direction
 * session keys and carry sequence numbers 1, 2, 3... that must arrive exactly in order.
 * <p>
 * {@link #decode} either accepts a frame, advancing the expected sequence number, or throws
 * {@link FrameRejectedException} and changes nothing. The tag is one HMAC-SHA256 over the whole message
 * (header and payload), computed once per message whatever the transport's fragmentation. Not
 * thread-safe: the sending side ({@link #encode}) and receiving side ({@link #decode}) may be used
 * from two threads, but each from one.
 */
public final class FrameCodec
{
    private final long ringId;
    private final int selfRank;
    private final int peerRank;
    private final String peerName;
    private final byte sendDirection;
    private final byte receiveDirection;
    private final int maxPayloadLength;
    private final Mac handshakeSendMac;
    private final Mac handshakeReceiveMac;
    private final FrameHeaderFlyweight sendHeader = new FrameHeaderFlyweight();
    private final FrameHeaderFlyweight receiveHeader = new FrameHeaderFlyweight();
    private final UnsafeBuffer headerBuffer = new UnsafeBuffer(new byte[HEADER_LENGTH]);
    private final byte[] sendScratch = MembershipSecret.newScratch();
    private final byte[] receiveScratch = MembershipSecret.newScratch();
    private final byte[] sendTag = new byte[MembershipSecret.MAC_LENGTH];
    private final byte[] computedTag = new byte[MembershipSecret.MAC_LENGTH];
    private final byte[] receivedTag = new byte[TAG_LENGTH];

    private Mac sessionSendMac;
    private Mac sessionReceiveMac;
    private long nextSendSequence = 1;
    private long lastReceivedSequence;
    private int lastPayloadOffset;
    private int lastPayloadLength;

    /**
     * @param ringId           ring id stamped on and required of every frame.
     * @param selfRank         this rank.
     * @param peerRank         the peer's rank.
     * @param peerName         the peer's name, for messages.
     * @param forward          whether this side sends along the ring (its next link) or against it.
     * @param maxPayloadLength largest payload accepted.
     * @param handshakeKey     key for HELLO and PROOF tags.
     */
    public FrameCodec(
        final long ringId,
        final int selfRank,
        final int peerRank,
        final String peerName,
        final boolean forward,
        final int maxPayloadLength,
        final byte[] handshakeKey)
    {
        this.ringId = ringId;
        this.selfRank = selfRank;
        this.peerRank = peerRank;
        this.peerName = peerName;
        this.sendDirection = forward ? DIRECTION_FORWARD : DIRECTION_RETURN;
        this.receiveDirection = forward ? DIRECTION_RETURN : DIRECTION_FORWARD;
        this.maxPayloadLength = maxPayloadLength;
        this.handshakeSendMac = MembershipSecret.newMac(handshakeKey);
        this.handshakeReceiveMac = MembershipSecret.newMac(handshakeKey);
        sendHeader.wrapForEncode(headerBuffer, 0);
    }

    /** @return direction byte of frames this side sends. */
    public byte sendDirection()
    {
        return sendDirection;
    }

    /** @return direction byte of frames this side receives. */
    public byte receiveDirection()
    {
        return receiveDirection;
    }

    /**
     * Installs the session keys; from now on DATA and ABORT frames are accepted and handshake frames
     * are not.
     *
     * @param sendKey    key tagging frames this side sends.
     * @param receiveKey key the peer tags its frames with.
     */
    public void establish(final byte[] sendKey, final byte[] receiveKey)
    {
        sessionSendMac = MembershipSecret.newMac(sendKey);
        sessionReceiveMac = MembershipSecret.newMac(receiveKey);
    }

    /** @return whether session keys are installed. */
    public boolean isEstablished()
    {
        return null != sessionReceiveMac;
    }

    /**
     * Writes and tags the header for a frame. Session frames take the next sequence number.
     *
     * @param type          frame type.
     * @param payload       the payload that will follow the header.
     * @param offset        payload offset.
     * @param length        payload length.
     * @return a buffer holding the {@link FrameHeaderFlyweight#HEADER_LENGTH}-byte header, valid until
     *         the next call.
     */
    public DirectBuffer encode(final byte type, final DirectBuffer payload, final int offset, final int length)
    {
        final boolean handshake = TYPE_HELLO == type || TYPE_PROOF == type;
        final Mac mac = handshake ? handshakeSendMac : sessionSendMac;
        if (null == mac)
        {
            throw new IllegalStateException("cannot send " + FrameHeaderFlyweight.typeName(type) + " to " + peerName +
                " before the handshake has completed");
        }
        final long sequence = handshake ? 0 : nextSendSequence++;
        sendHeader.encode(type, sendDirection, ringId, selfRank, peerRank, sequence, length);
        mac.update(headerBuffer.byteArray(), 0, TAG_OFFSET);
        MembershipSecret.update(mac, payload, offset, length, sendScratch);
        try
        {
            mac.doFinal(sendTag, 0);
        }
        catch (final javax.crypto.ShortBufferException ex)
        {
            throw new IllegalStateException(ex);
        }
        sendHeader.tag(sendTag);
        return headerBuffer;
    }

    /**
     * Checks one whole received message.
     *
     * @param buffer holding the message.
     * @param offset at which it starts.
     * @param length its length.
     * @return the frame type; the payload is at {@link #payloadOffset()} for {@link #payloadLength()} bytes.
     * @throws FrameRejectedException if the frame is not acceptable now; nothing changes then.
     */
    public byte decode(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < HEADER_LENGTH)
        {
            throw reject(FrameRejectedException.Reason.TRUNCATED, length + " bytes is shorter than the header");
        }
        final FrameHeaderFlyweight header = receiveHeader.wrap(buffer, offset);
        if (header.magic() != MAGIC || header.version() != VERSION)
        {
            throw reject(FrameRejectedException.Reason.BAD_MAGIC,
                "magic 0x" + Integer.toHexString(header.magic()) + " version " + header.version());
        }
        final byte type = header.type();
        if (type < TYPE_HELLO || type > TYPE_ABORT || header.direction() != receiveDirection ||
            header.reservedByte() != 0 || header.reserved() != 0)
        {
            throw reject(FrameRejectedException.Reason.BAD_FIELD, "type " + type + ", direction " + header.direction() +
                ", reserved " + header.reservedByte() + "/" + header.reserved());
        }
        if (header.ringId() != ringId)
        {
            throw reject(FrameRejectedException.Reason.WRONG_RING, "ring id " + header.ringId() + ", expected " + ringId);
        }
        if (header.sourceRank() != peerRank || header.destinationRank() != selfRank)
        {
            throw reject(FrameRejectedException.Reason.WRONG_RANK, "from rank " + header.sourceRank() + " to rank " +
                header.destinationRank() + ", expected " + peerRank + " to " + selfRank);
        }
        final int payloadLength = header.payloadLength();
        if (payloadLength != length - HEADER_LENGTH || payloadLength > maxPayloadLength)
        {
            throw reject(FrameRejectedException.Reason.TRUNCATED, "declared payload " + payloadLength + " bytes, frame holds " +
                (length - HEADER_LENGTH) + ", limit " + maxPayloadLength);
        }
        final boolean handshake = TYPE_HELLO == type || TYPE_PROOF == type;
        if (handshake == isEstablished())
        {
            throw reject(FrameRejectedException.Reason.UNEXPECTED_TYPE, FrameHeaderFlyweight.typeName(type) +
                (handshake ? " after" : " before") + " the handshake completed");
        }
        final Mac mac = handshake ? handshakeReceiveMac : sessionReceiveMac;
        MembershipSecret.update(mac, buffer, offset, TAG_OFFSET, receiveScratch);
        MembershipSecret.update(mac, buffer, offset + HEADER_LENGTH, payloadLength, receiveScratch);
        try
        {
            mac.doFinal(computedTag, 0);
        }
        catch (final javax.crypto.ShortBufferException ex)
        {
            throw new IllegalStateException(ex);
        }
        buffer.getBytes(offset + TAG_OFFSET, receivedTag, 0, TAG_LENGTH);
        if (!MembershipSecret.constantTimeEquals(computedTag, receivedTag, TAG_LENGTH))
        {
            throw reject(FrameRejectedException.Reason.BAD_TAG, FrameHeaderFlyweight.typeName(type) +
                " seq " + header.sequence() + " of " + payloadLength + " bytes");
        }
        final long sequence = header.sequence();
        if (handshake)
        {
            if (sequence != 0)
            {
                throw reject(FrameRejectedException.Reason.BAD_FIELD, "handshake frame with sequence " + sequence);
            }
        }
        else if (sequence <= lastReceivedSequence)
        {
            throw reject(FrameRejectedException.Reason.REPLAYED,
                "sequence " + sequence + ", last accepted " + lastReceivedSequence);
        }
        else if (sequence != lastReceivedSequence + 1)
        {
            throw reject(FrameRejectedException.Reason.SEQUENCE_GAP,
                "sequence " + sequence + " after " + lastReceivedSequence + ": authentic frames are missing");
        }
        else
        {
            lastReceivedSequence = sequence;
        }
        lastPayloadOffset = offset + HEADER_LENGTH;
        lastPayloadLength = payloadLength;
        return type;
    }

    /** @return offset of the payload of the frame last accepted by {@link #decode}. */
    public int payloadOffset()
    {
        return lastPayloadOffset;
    }

    /** @return length of the payload of the frame last accepted by {@link #decode}. */
    public int payloadLength()
    {
        return lastPayloadLength;
    }

    /** @return sequence number of the last accepted session frame (0 before any). */
    public long lastReceivedSequence()
    {
        return lastReceivedSequence;
    }

    /** @return sequence number the next session frame sent will carry. */
    public long nextSendSequence()
    {
        return nextSendSequence;
    }

    private FrameRejectedException reject(final FrameRejectedException.Reason reason, final String detail)
    {
        return new FrameRejectedException(peerName, reason, detail);
    }
}
