package io.qring.channel.codec;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over the 24-byte classical header that precedes the wire symbols of a superdense frame,
 * little-endian:
 * <pre>
 *   0  int   magic            {@link #MAGIC} ("QSD1": format and version)
 *   4  int   payloadLength    payload bytes = wire symbol bytes (4 pairs per byte)
 *   8  long  linkId           {@link io.qring.channel.epr.EprPool#linkId()} of the encoding pool
 *  16  long  firstPair        usable pair index carried by the first symbol
 * </pre>
 * The decoder checks it against its own pool, so a frame of another link, out of order or truncated
 * is refused before any pair is consumed.
 */
public final class SuperdenseFrameHeader
{
    /** Format and version tag, the bytes "QSD1". */
    public static final int MAGIC = 0x3144_5351;
    /** Offset of the magic. */
    public static final int MAGIC_OFFSET = 0;
    /** Offset of the payload length. */
    public static final int PAYLOAD_LENGTH_OFFSET = 4;
    /** Offset of the link identity. */
    public static final int LINK_ID_OFFSET = 8;
    /** Offset of the first pair index. */
    public static final int FIRST_PAIR_OFFSET = 16;
    /** Length of the header in bytes. */
    public static final int LENGTH = 24;

    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private DirectBuffer buffer;
    private int offset;

    /**
     * Writes a header.
     *
     * @param buffer        destination.
     * @param offset        first byte of the header.
     * @param payloadLength payload bytes that follow.
     * @param linkId        identity of the link.
     * @param firstPair     first pair index.
     */
    public static void write(
        final MutableDirectBuffer buffer, final int offset, final int payloadLength, final long linkId, final long firstPair)
    {
        buffer.putInt(offset + MAGIC_OFFSET, MAGIC, ORDER);
        buffer.putInt(offset + PAYLOAD_LENGTH_OFFSET, payloadLength, ORDER);
        buffer.putLong(offset + LINK_ID_OFFSET, linkId, ORDER);
        buffer.putLong(offset + FIRST_PAIR_OFFSET, firstPair, ORDER);
    }

    /**
     * Points the flyweight at a header for reading.
     *
     * @param buffer buffer holding the header.
     * @param offset first byte of the header.
     * @return this.
     */
    public SuperdenseFrameHeader wrap(final DirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /** @return the magic, {@link #MAGIC} for a valid frame. */
    public int magic()
    {
        return buffer.getInt(offset + MAGIC_OFFSET, ORDER);
    }

    /** @return payload bytes announced. */
    public int payloadLength()
    {
        return buffer.getInt(offset + PAYLOAD_LENGTH_OFFSET, ORDER);
    }

    /** @return identity of the link that encoded the frame. */
    public long linkId()
    {
        return buffer.getLong(offset + LINK_ID_OFFSET, ORDER);
    }

    /** @return first pair index. */
    public long firstPair()
    {
        return buffer.getLong(offset + FIRST_PAIR_OFFSET, ORDER);
    }

    /** @return pairs carried, 4 per payload byte. */
    public long pairCount()
    {
        return 4L * payloadLength();
    }
}
