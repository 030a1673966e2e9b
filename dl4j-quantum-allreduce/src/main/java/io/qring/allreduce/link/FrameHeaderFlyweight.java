package io.qring.allreduce.link;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Flyweight over the 56-byte header that precedes every message an {@link AuthenticatedLink} puts on
 * the wire. All fields are little-endian; the payload follows at {@link #HEADER_LENGTH}, 8-byte aligned.
 * <pre>
 *   0  int   magic            0x474E5251 ("QRNG")
 *   4  byte  version          {@link #VERSION}
 *   5  byte  type             HELLO, PROOF, DATA, ABORT
 *   6  byte  direction        FORWARD (sent along the ring) or RETURN (sent against it)
 *   7  byte  reserved         0
 *   8  long  ring id
 *  16  int   source rank
 *  20  int   destination rank
 *  24  long  sequence number  0 for handshake frames; 1, 2, 3... per session and direction otherwise
 *  32  int   payload length
 *  36  int   reserved         0
 *  40  16 B  tag              session frames: AES-256-GCM tag (header bytes [0, 40) as associated data);
 *                               handshake frames: first 16 bytes of HMAC-SHA256(key, header [0, 40) ‖ payload)
 *  56        payload
 * </pre>
 */
public final class FrameHeaderFlyweight
{
    /** "QRNG" read as a little-endian int. */
    public static final int MAGIC = 0x474E5251;
    /**
     * Version of the protocol a ring speaks, checked on every frame: 2 since session payloads travel
     * sealed with AES-256-GCM; 3 since quantum data frames carry block checksums only, quantum links
     * may split blocks (REBLOCK), and the all-reduce descriptor carries the non-finite policy; 4 since
     * quantum receivers acknowledge on delivery and reject data beyond the window, and quantum senders
     * end a collective only once everything is acknowledged (what makes ledgers reproducible needs
     * both ends); 5 since gathered ledgers carry the {@code MESSAGES} counter; 6 since ranks exchange their
     * ring settings after the handshake; 7 since both ends of a quantum link verify every batch and reach
     * an alarm at the same frame, where the sender falls back to classical frames with no message
     * between them, or announces the alarm instead of coding the frame; 8 since gathered ledgers carry
     * the {@code REJECTED_FRAMES} counter. Ranks of different versions cannot form a ring.
     */
    public static final byte VERSION = 8;

    /** Handshake: announces the sender's fresh nonce. */
    public static final byte TYPE_HELLO = 1;
    /** Handshake: proves the sender holds the secret by tagging the receiver's nonce. */
    public static final byte TYPE_PROOF = 2;
    /** A user message. */
    public static final byte TYPE_DATA = 3;
    /** The sender gives up; the payload is its UTF-8 reason. */
    public static final byte TYPE_ABORT = 4;

    /** Sent from a rank to its next rank (the data direction). */
    public static final byte DIRECTION_FORWARD = 1;
    /** Sent from a rank to its previous rank (the control direction). */
    public static final byte DIRECTION_RETURN = 2;

    /** Offset of the magic number. */
    public static final int MAGIC_OFFSET = 0;
    /** Offset of the version. */
    public static final int VERSION_OFFSET = 4;
    /** Offset of the frame type. */
    public static final int TYPE_OFFSET = 5;
    /** Offset of the direction. */
    public static final int DIRECTION_OFFSET = 6;
    /** Offset of the reserved byte. */
    public static final int RESERVED_BYTE_OFFSET = 7;
    /** Offset of the ring id. */
    public static final int RING_ID_OFFSET = 8;
    /** Offset of the source rank. */
    public static final int SOURCE_RANK_OFFSET = 16;
    /** Offset of the destination rank. */
    public static final int DESTINATION_RANK_OFFSET = 20;
    /** Offset of the sequence number. */
    public static final int SEQUENCE_OFFSET = 24;
    /** Offset of the payload length. */
    public static final int PAYLOAD_LENGTH_OFFSET = 32;
    /** Offset of the reserved int. */
    public static final int RESERVED_OFFSET = 36;
    /** Offset of the authentication tag; the tag covers every header byte before it. */
    public static final int TAG_OFFSET = 40;
    /** Length of the tag (GCM tag, or truncated HMAC-SHA256 on handshake frames): 128 bits. */
    public static final int TAG_LENGTH = 16;
    /** Length of the header; the payload starts here. */
    public static final int HEADER_LENGTH = TAG_OFFSET + TAG_LENGTH;

    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private DirectBuffer buffer;
    private MutableDirectBuffer mutableBuffer;
    private int offset;

    /**
     * Wraps a frame for reading.
     *
     * @param buffer holding the frame.
     * @param offset at which the frame starts.
     * @return this.
     */
    public FrameHeaderFlyweight wrap(final DirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.mutableBuffer = null;
        this.offset = offset;
        return this;
    }

    /**
     * Wraps a buffer for writing a header.
     *
     * @param buffer to write into.
     * @param offset at which the header starts.
     * @return this.
     */
    public FrameHeaderFlyweight wrapForEncode(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.mutableBuffer = buffer;
        this.offset = offset;
        return this;
    }

    /** @return the magic number field. */
    public int magic()
    {
        return buffer.getInt(offset + MAGIC_OFFSET, ORDER);
    }

    /** @return the version field. */
    public byte version()
    {
        return buffer.getByte(offset + VERSION_OFFSET);
    }

    /** @return the frame type. */
    public byte type()
    {
        return buffer.getByte(offset + TYPE_OFFSET);
    }

    /** @return the direction field. */
    public byte direction()
    {
        return buffer.getByte(offset + DIRECTION_OFFSET);
    }

    /** @return the reserved byte, 0 in a valid frame. */
    public byte reservedByte()
    {
        return buffer.getByte(offset + RESERVED_BYTE_OFFSET);
    }

    /** @return the ring id. */
    public long ringId()
    {
        return buffer.getLong(offset + RING_ID_OFFSET, ORDER);
    }

    /** @return the source rank. */
    public int sourceRank()
    {
        return buffer.getInt(offset + SOURCE_RANK_OFFSET, ORDER);
    }

    /** @return the destination rank. */
    public int destinationRank()
    {
        return buffer.getInt(offset + DESTINATION_RANK_OFFSET, ORDER);
    }

    /** @return the sequence number. */
    public long sequence()
    {
        return buffer.getLong(offset + SEQUENCE_OFFSET, ORDER);
    }

    /** @return the declared payload length. */
    public int payloadLength()
    {
        return buffer.getInt(offset + PAYLOAD_LENGTH_OFFSET, ORDER);
    }

    /** @return the reserved int, 0 in a valid frame. */
    public int reserved()
    {
        return buffer.getInt(offset + RESERVED_OFFSET, ORDER);
    }

    /**
     * Writes every field except the tag.
     *
     * @param type            frame type.
     * @param direction       {@link #DIRECTION_FORWARD} or {@link #DIRECTION_RETURN}.
     * @param ringId          ring id.
     * @param sourceRank      sender.
     * @param destinationRank receiver.
     * @param sequence        sequence number.
     * @param payloadLength   payload length.
     * @return this.
     */
    public FrameHeaderFlyweight encode(
        final byte type,
        final byte direction,
        final long ringId,
        final int sourceRank,
        final int destinationRank,
        final long sequence,
        final int payloadLength)
    {
        final MutableDirectBuffer b = mutableBuffer;
        b.putInt(offset + MAGIC_OFFSET, MAGIC, ORDER);
        b.putByte(offset + VERSION_OFFSET, VERSION);
        b.putByte(offset + TYPE_OFFSET, type);
        b.putByte(offset + DIRECTION_OFFSET, direction);
        b.putByte(offset + RESERVED_BYTE_OFFSET, (byte)0);
        b.putLong(offset + RING_ID_OFFSET, ringId, ORDER);
        b.putInt(offset + SOURCE_RANK_OFFSET, sourceRank, ORDER);
        b.putInt(offset + DESTINATION_RANK_OFFSET, destinationRank, ORDER);
        b.putLong(offset + SEQUENCE_OFFSET, sequence, ORDER);
        b.putInt(offset + PAYLOAD_LENGTH_OFFSET, payloadLength, ORDER);
        b.putInt(offset + RESERVED_OFFSET, 0, ORDER);
        return this;
    }

    /**
     * Writes the tag.
     *
     * @param tag    source of the tag bytes; the first {@link #TAG_LENGTH} are used.
     * @return this.
     */
    public FrameHeaderFlyweight tag(final byte[] tag)
    {
        mutableBuffer.putBytes(offset + TAG_OFFSET, tag, 0, TAG_LENGTH);
        return this;
    }

    /**
     * @param type a frame type byte.
     * @return its name, for messages.
     */
    public static String typeName(final byte type)
    {
        return switch (type)
        {
            case TYPE_HELLO -> "HELLO";
            case TYPE_PROOF -> "PROOF";
            case TYPE_DATA -> "DATA";
            case TYPE_ABORT -> "ABORT";
            default -> "type " + type;
        };
    }
}
