package io.qring.allreduce.link;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;

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
 * Encodes and authenticates outgoing frames and checks incoming frames for one link (both directions
 * between this rank and one peer), once per whole message whatever the transport's fragmentation.
 * <ul>
 *   <li>Handshake frames (HELLO, PROOF) carry sequence 0 and their payload in the clear; the tag is
 *       the first 16 bytes of HMAC-SHA256(handshake key, header bytes [0, 40) ‖ payload).</li>
 *   <li>Session frames (DATA, ABORT) carry sequence numbers 1, 2, 3... that must arrive exactly in
 *       order and are sealed with AES-256-GCM under the direction's session key: the payload travels
 *       encrypted, the header bytes [0, 40) are the associated data, the 96-bit nonce is the direction
 *       byte and the sequence number (never repeated under one key: keys are fresh per handshake), and
 *       the 128-bit GCM tag is the header's tag. AES-GCM is the authenticated encryption of NIST SP
 *       800-38D; the JDK runs it on AES-NI/VAES and carry-less-multiply instructions at several
 *       times the speed of HMAC-SHA256, which was the ring's largest per-byte cost.</li>
 * </ul>
 * {@link #encode} seals a session frame with the next sequence number, but that number is spent only
 * when the caller reports with {@link #frameSent()} that the transport took the frame: a frame the
 * transport refused (back-pressure, no reader, closed) was never published, so the next frame reuses
 * its number and the peer sees no gap. Reusing the GCM nonce is safe there because the refused
 * ciphertext never left this process ({@link MessagePipe#offer} hands over a whole message or nothing:
 * an Aeron publication reserves a message's whole extent, fragments included, or writes none of it).
 * The JDK's GCM refuses to encrypt twice in a row under one key and nonce, a guard against exactly
 * the misuse this rule rules out, so such a reuse seals with a fresh cipher instance.
 * {@link #decode} either accepts a frame, advancing the expected sequence number, or throws
 * {@link FrameRejectedException} and changes nothing. Not thread-safe: the sending side
 * ({@link #encode}) and receiving side ({@link #decode}) may be used from two threads, but each from one.
 */
public final class FrameCodec
{
    /** JCA name of the session frames' authenticated encryption. */
    public static final String SESSION_CIPHER = "AES/GCM/NoPadding";

    private static final int NONCE_LENGTH = 12;
    private static final int NONCE_SEQUENCE_OFFSET = 4;

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
    private final byte[] receivedHeader = new byte[TAG_OFFSET];
    private final byte[] sendNonce = new byte[NONCE_LENGTH];
    private final byte[] receiveNonce = new byte[NONCE_LENGTH];
    private final UnsafeBuffer sealedBuffer = new UnsafeBuffer(new byte[0]);
    private final UnsafeBuffer openedBuffer = new UnsafeBuffer(new byte[0]);

    private Cipher sendCipher;
    private Cipher receiveCipher;
    private SecretKeySpec sendKey;
    private SecretKeySpec receiveKey;
    private byte[] plainCopy = new byte[0];
    private byte[] sealed = new byte[0];
    private byte[] sealedReceived = new byte[0];
    private byte[] opened = new byte[0];
    private DirectBuffer outgoingPayload;
    private int outgoingPayloadOffset;
    private long nextSendSequence = 1;
    private long lastSealedSequence;
    private boolean sessionFrameUnsent;
    private long lastReceivedSequence;
    private DirectBuffer lastPayloadBuffer;
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
        sendNonce[0] = sendDirection;
        receiveNonce[0] = receiveDirection;
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
     * @param sendKey    32-byte AES-256 key sealing frames this side sends.
     * @param receiveKey 32-byte AES-256 key the peer seals its frames with.
     */
    public void establish(final byte[] sendKey, final byte[] receiveKey)
    {
        sendCipher = newSessionCipher();
        receiveCipher = newSessionCipher();
        this.sendKey = new SecretKeySpec(sendKey, "AES");
        this.receiveKey = new SecretKeySpec(receiveKey, "AES");
    }

    /** @return whether session keys are installed. */
    public boolean isEstablished()
    {
        return null != receiveCipher;
    }

    /**
     * Writes and tags the header for a frame; a session frame's payload is sealed into this codec's
     * buffer. Send the header, then {@code length} bytes of {@link #outgoingPayload()} from
     * {@link #outgoingPayloadOffset()} (the GCM tag travels in the header). A session frame takes the
     * next sequence number, which {@link #frameSent()} spends once the transport has taken the frame;
     * until then the next {@code encode} reuses it.
     *
     * @param type    frame type.
     * @param payload the payload.
     * @param offset  payload offset.
     * @param length  payload length.
     * @return a buffer holding the {@link FrameHeaderFlyweight#HEADER_LENGTH}-byte header, valid until
     *         the next call.
     */
    public DirectBuffer encode(final byte type, final DirectBuffer payload, final int offset, final int length)
    {
        final boolean handshake = TYPE_HELLO == type || TYPE_PROOF == type;
        if (!handshake && null == sendCipher)
        {
            throw new IllegalStateException("cannot send " + FrameHeaderFlyweight.typeName(type) + " to " + peerName +
                " before the handshake has completed");
        }
        final long sequence = handshake ? 0 : nextSendSequence;
        sessionFrameUnsent = !handshake;
        sendHeader.encode(type, sendDirection, ringId, selfRank, peerRank, sequence, length);
        if (handshake)
        {
            tagHandshakeFrame(payload, offset, length);
            outgoingPayload = payload;
            outgoingPayloadOffset = offset;
        }
        else
        {
            seal(payload, offset, length, sequence);
            outgoingPayload = sealedBuffer;
            outgoingPayloadOffset = 0;
        }
        return headerBuffer;
    }

    /**
     * Records that the transport took the frame last {@link #encode encoded}, in whole: a session frame's
     * sequence number is spent and the next session frame takes the following one. Call it exactly
     * when an offer returned {@link MessagePipe.OfferStatus#SENT}; after any other outcome nothing of
     * the frame was published and its sequence number (with its GCM nonce) is reused.
     */
    public void frameSent()
    {
        if (sessionFrameUnsent)
        {
            sessionFrameUnsent = false;
            nextSendSequence++;
        }
    }

    /** @return the buffer holding the payload bytes of the frame last {@link #encode encoded}. */
    public DirectBuffer outgoingPayload()
    {
        return outgoingPayload;
    }

    /** @return where in {@link #outgoingPayload()} the frame's payload bytes start. */
    public int outgoingPayloadOffset()
    {
        return outgoingPayloadOffset;
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
        final long sequence = header.sequence();
        final boolean authentic = handshake ? checkHandshakeTag(buffer, offset, payloadLength) :
            open(buffer, offset, payloadLength, sequence);
        if (!authentic)
        {
            throw reject(FrameRejectedException.Reason.BAD_TAG, FrameHeaderFlyweight.typeName(type) +
                " seq " + sequence + " of " + payloadLength + " bytes");
        }
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
        lastPayloadBuffer = handshake ? buffer : openedBuffer;
        lastPayloadOffset = handshake ? offset + HEADER_LENGTH : 0;
        lastPayloadLength = payloadLength;
        return type;
    }

    /**
     * @return the buffer holding the (decrypted) payload of the frame last accepted by {@link #decode}:
     *         the frame's own buffer for a handshake frame, this codec's for a session frame, valid
     *         until the next call.
     */
    public DirectBuffer payloadBuffer()
    {
        return lastPayloadBuffer;
    }

    /** @return offset in {@link #payloadBuffer()} of the payload of the frame last accepted by {@link #decode}. */
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

    private void tagHandshakeFrame(final DirectBuffer payload, final int offset, final int length)
    {
        handshakeSendMac.update(headerBuffer.byteArray(), 0, TAG_OFFSET);
        MembershipSecret.update(handshakeSendMac, payload, offset, length, sendScratch);
        try
        {
            handshakeSendMac.doFinal(sendTag, 0);
        }
        catch (final javax.crypto.ShortBufferException ex)
        {
            throw new IllegalStateException(ex);
        }
        sendHeader.tag(sendTag);
    }

    private boolean checkHandshakeTag(final DirectBuffer buffer, final int offset, final int payloadLength)
    {
        final Mac mac = handshakeReceiveMac;
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
        return MembershipSecret.constantTimeEquals(computedTag, receivedTag, TAG_LENGTH);
    }

    private void seal(final DirectBuffer payload, final int offset, final int length, final long sequence)
    {
        final byte[] input;
        final int inputOffset;
        if (null != payload.byteArray())
        {
            input = payload.byteArray();
            inputOffset = payload.wrapAdjustment() + offset;
        }
        else
        {
            if (plainCopy.length < length)
            {
                plainCopy = new byte[length];
            }
            payload.getBytes(offset, plainCopy, 0, length);
            input = plainCopy;
            inputOffset = 0;
        }
        if (sealed.length < length + TAG_LENGTH)
        {
            sealed = new byte[length + TAG_LENGTH];
            sealedBuffer.wrap(sealed);
        }
        try
        {
            if (sequence == lastSealedSequence)
            {
                sendCipher = newSessionCipher();
            }
            init(sendCipher, Cipher.ENCRYPT_MODE, sendKey, sendNonce, sequence);
            lastSealedSequence = sequence;
            sendCipher.updateAAD(headerBuffer.byteArray(), 0, TAG_OFFSET);
            sendCipher.doFinal(input, inputOffset, length, sealed, 0);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("sealing a frame to " + peerName + " failed", ex);
        }
        headerBuffer.putBytes(TAG_OFFSET, sealed, length, TAG_LENGTH);
    }

    /** Decrypts a session frame's payload into {@link #openedBuffer}; {@code false} if the tag is wrong. */
    private boolean open(final DirectBuffer buffer, final int offset, final int payloadLength, final long sequence)
    {
        if (sealedReceived.length < payloadLength + TAG_LENGTH)
        {
            sealedReceived = new byte[payloadLength + TAG_LENGTH];
            opened = new byte[payloadLength];
            openedBuffer.wrap(opened);
        }
        buffer.getBytes(offset, receivedHeader, 0, TAG_OFFSET);
        buffer.getBytes(offset + HEADER_LENGTH, sealedReceived, 0, payloadLength);
        buffer.getBytes(offset + TAG_OFFSET, sealedReceived, payloadLength, TAG_LENGTH);
        try
        {
            init(receiveCipher, Cipher.DECRYPT_MODE, receiveKey, receiveNonce, sequence);
            receiveCipher.updateAAD(receivedHeader, 0, TAG_OFFSET);
            receiveCipher.doFinal(sealedReceived, 0, payloadLength + TAG_LENGTH, opened, 0);
            return true;
        }
        catch (final AEADBadTagException ex)
        {
            return false;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("opening a frame from " + peerName + " failed", ex);
        }
    }

    private static void init(
        final Cipher cipher, final int mode, final SecretKeySpec key, final byte[] nonce, final long sequence)
        throws GeneralSecurityException
    {
        for (int i = 0; i < Long.BYTES; i++)
        {
            nonce[NONCE_SEQUENCE_OFFSET + i] = (byte)(sequence >>> (i << 3));
        }
        cipher.init(mode, key, new GCMParameterSpec(TAG_LENGTH * Byte.SIZE, nonce));
    }

    private static Cipher newSessionCipher()
    {
        try
        {
            return Cipher.getInstance(SESSION_CIPHER);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(SESSION_CIPHER + " is not available in this JVM", ex);
        }
    }

    private FrameRejectedException reject(final FrameRejectedException.Reason reason, final String detail)
    {
        return new FrameRejectedException(peerName, reason, detail);
    }
}
