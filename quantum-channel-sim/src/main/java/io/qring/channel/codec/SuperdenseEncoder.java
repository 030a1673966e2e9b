package io.qring.channel.codec;

import io.qring.channel.epr.EprPool;
import io.qring.channel.frame.PauliFrame;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LinkLedger;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The sender's half of superdense coding over an {@link EprPool}: each payload byte rides 4 pairs,
 * 2 bits per pair. The wire symbol of a pair is s_A ⊕ b, uniform and independent of the payload b.
 *
 * <p>A wire frame is a {@link SuperdenseFrameHeader} ({@value SuperdenseFrameHeader#LENGTH} bytes,
 * sent classically) followed by one symbol byte per payload byte (the qubits sent). Allocation-free;
 * not thread-safe (one encoder per sending thread of a link).
 *
 * <p>Ledger (the sender records all codec counters): a first send of n payload bytes adds 4n
 * {@link LedgerCounter#ONLINE_QUBITS} and {@link LedgerCounter#EPR_CONSUMED}, 8n
 * {@link LedgerCounter#PAYLOAD_BITS} and {@link LedgerCounter#CLASSICAL_EQUIVALENT_BITS}, and the
 * header's {@value #HEADER_BITS} bits as {@link LedgerCounter#ONLINE_CLASSICAL_BITS}. A retransmission
 * adds 4n {@link LedgerCounter#RETRANSMITTED_QUBITS} and {@link LedgerCounter#EPR_CONSUMED} plus the
 * header bits, and no payload.
 */
public final class SuperdenseEncoder
{
    /** Classical bits of one frame header. */
    public static final int HEADER_BITS = SuperdenseFrameHeader.LENGTH * Byte.SIZE;

    private final EprPool pool;
    private final LinkLedger ledger;
    private final long shareStreamKey;
    private final UnsafeBuffer payloadView = new UnsafeBuffer();
    private final UnsafeBuffer wireView = new UnsafeBuffer();
    private final ShareXor shareXor = new ShareXor();
    private final SuperdenseFrameHeader recoveryHeader = new SuperdenseFrameHeader();

    /**
     * @param pool the sender's pool of the link.
     * @throws IllegalArgumentException if the pool is not a {@link EprPool.Side#SENDER} pool.
     */
    public SuperdenseEncoder(final EprPool pool)
    {
        if (pool.side() != EprPool.Side.SENDER)
        {
            throw new IllegalArgumentException("superdense encoder needs the SENDER pool of link '" + pool.linkName() +
                "', got the " + pool.side() + " pool");
        }
        this.pool = pool;
        this.ledger = pool.ledger();
        this.shareStreamKey = pool.shareStreamKey();
    }

    /**
     * @param payloadLength payload bytes.
     * @return bytes of the wire frame carrying them: header plus one symbol byte per payload byte.
     */
    public static int wireLength(final int payloadLength)
    {
        if (payloadLength < 0 || payloadLength > Integer.MAX_VALUE - SuperdenseFrameHeader.LENGTH)
        {
            throw new IllegalArgumentException("payload length must be in [0, " +
                (Integer.MAX_VALUE - SuperdenseFrameHeader.LENGTH) + "], got " + payloadLength);
        }
        return SuperdenseFrameHeader.LENGTH + payloadLength;
    }

    /** @return the pool this encoder takes pairs from. */
    public EprPool pool()
    {
        return pool;
    }

    /**
     * Encodes a payload onto the next pairs of the pool (first send).
     *
     * @param payload       payload bytes.
     * @param payloadOffset first payload byte.
     * @param length        payload bytes to send.
     * @param wire          destination of the wire frame.
     * @param wireOffset    first byte of the frame.
     * @return bytes written, {@link #wireLength(int)}.
     */
    public int encode(
        final DirectBuffer payload, final int payloadOffset, final int length, final MutableDirectBuffer wire, final int wireOffset)
    {
        return encode(payload, payloadOffset, length, wire, wireOffset, false);
    }

    /**
     * Encodes a payload held in an array (first send).
     *
     * @param payload       payload bytes.
     * @param payloadOffset first payload byte.
     * @param length        payload bytes to send.
     * @param wire          destination of the wire frame.
     * @param wireOffset    first byte of the frame.
     * @return bytes written, {@link #wireLength(int)}.
     */
    public int encode(final byte[] payload, final int payloadOffset, final int length, final byte[] wire, final int wireOffset)
    {
        payloadView.wrap(payload);
        wireView.wrap(wire);
        return encode(payloadView, payloadOffset, length, wireView, wireOffset, false);
    }

    /**
     * Encodes a payload again on fresh pairs because an earlier frame failed its integrity check:
     * counted as retransmitted qubits, not as new payload.
     *
     * @param payload       payload bytes.
     * @param payloadOffset first payload byte.
     * @param length        payload bytes to send.
     * @param wire          destination of the wire frame.
     * @param wireOffset    first byte of the frame.
     * @return bytes written, {@link #wireLength(int)}.
     */
    public int encodeRetransmission(
        final DirectBuffer payload, final int payloadOffset, final int length, final MutableDirectBuffer wire, final int wireOffset)
    {
        return encode(payload, payloadOffset, length, wire, wireOffset, true);
    }

    /**
     * Recovers payload bytes from a frame this encoder wrote: the sender holds s_A, so
     * b = (s_A ⊕ b) ⊕ s_A. A sender can thus keep the frames it sent, instead of copies of their
     * payloads, and recover just the bytes a retransmission needs. Takes no pairs and counts nothing.
     *
     * @param wire          a frame written by this encoder.
     * @param wireOffset    first byte of the frame.
     * @param from          first payload byte to recover.
     * @param length        payload bytes to recover.
     * @param payload       destination.
     * @param payloadOffset first destination byte.
     * @throws IllegalArgumentException  if the frame is not one of this link's.
     * @throws IndexOutOfBoundsException if the range lies outside the frame's payload or the destination.
     */
    public void recover(
        final DirectBuffer wire,
        final int wireOffset,
        final int from,
        final int length,
        final MutableDirectBuffer payload,
        final int payloadOffset)
    {
        final SuperdenseFrameHeader header = recoveryHeader.wrap(wire, wireOffset);
        if (header.magic() != SuperdenseFrameHeader.MAGIC || header.linkId() != pool.linkId())
        {
            throw new IllegalArgumentException("not a frame of link '" + pool.linkName() + "': magic " +
                Integer.toHexString(header.magic()) + ", link id " + header.linkId());
        }
        if (from < 0 || length < 0 || (long)from + length > header.payloadLength())
        {
            throw new IndexOutOfBoundsException("payload range [" + from + ", " + ((long)from + length) +
                ") outside a frame of " + header.payloadLength() + " payload bytes");
        }
        shareXor.apply(wire, wireOffset + SuperdenseFrameHeader.LENGTH + from, payload, payloadOffset, length,
            shareStreamKey, header.firstPair() + (long)from * PauliFrame.PAIRS_PER_BYTE, null);
    }

    private int encode(
        final DirectBuffer payload,
        final int payloadOffset,
        final int length,
        final MutableDirectBuffer wire,
        final int wireOffset,
        final boolean retransmission)
    {
        final int wireLength = wireLength(length);
        requireRange("payload", payload, payloadOffset, length);
        requireRange("wire", wire, wireOffset, wireLength);
        final long pairs = (long)length * PauliFrame.PAIRS_PER_BYTE;
        final long firstPair = pool.take(pairs);
        SuperdenseFrameHeader.write(wire, wireOffset, length, pool.linkId(), firstPair);
        shareXor.apply(payload, payloadOffset, wire, wireOffset + SuperdenseFrameHeader.LENGTH, length, shareStreamKey, firstPair, null);

        ledger.add(LedgerCounter.EPR_CONSUMED, pairs);
        ledger.add(LedgerCounter.ONLINE_CLASSICAL_BITS, HEADER_BITS);
        if (retransmission)
        {
            ledger.add(LedgerCounter.RETRANSMITTED_QUBITS, pairs);
        }
        else
        {
            ledger.add(LedgerCounter.ONLINE_QUBITS, pairs);
            ledger.add(LedgerCounter.PAYLOAD_BITS, (long)length * Byte.SIZE);
            ledger.add(LedgerCounter.CLASSICAL_EQUIVALENT_BITS, (long)length * Byte.SIZE);
        }
        return wireLength;
    }

    static void requireRange(final String what, final DirectBuffer buffer, final int offset, final int length)
    {
        if (offset < 0 || length < 0 || (long)offset + length > buffer.capacity())
        {
            throw new IndexOutOfBoundsException(what + " range [" + offset + ", " + ((long)offset + length) +
                ") outside a buffer of " + buffer.capacity() + " bytes");
        }
    }
}
