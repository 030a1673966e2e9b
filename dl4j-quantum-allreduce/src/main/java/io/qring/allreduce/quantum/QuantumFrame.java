package io.qring.allreduce.quantum;

import io.qring.allreduce.link.FrameHeaderFlyweight;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Layout of the messages a quantum link puts on its transport (little-endian). Every message starts
 * with a {@value #HEADER_LENGTH}-byte header:
 *
 * <pre>
 *   0: type (byte)   1: flags (byte)   2: reserved (short)   4: count (int)   8: message sequence (long)
 * </pre>
 *
 * <ul>
 *   <li>{@link #DATA}: count = payload length; then block length (int), one CRC-32C per block (int
 *       each), then the superdense wire frame (or, with {@link #FLAG_CLASSICAL}, the raw payload). The
 *       blocks tile the payload, and a CRC-32C of a concatenation is a function of its parts' CRCs and
 *       lengths, so a checksum over the whole payload would catch nothing the block checksums miss.</li>
 *   <li>{@link #REPAIR}: count = number of blocks resent; their indices (int each), then one wire frame
 *       carrying those blocks back to back (or raw bytes with {@link #FLAG_CLASSICAL}).</li>
 *   <li>{@link #REBLOCK}: the sender splits a message's blocks into shorter ones, because the link is
 *       noisier than the blocks were sized for (a block of n pairs at symbol error p survives with
 *       probability (1 − p)^n, so resending a long block on fresh pairs may never succeed): count =
 *       number of new blocks; then the new block length (int) and one CRC-32C per new block, laid out
 *       as in a data frame. No payload: the receiver checks what it holds against the new checksums and
 *       asks for the new blocks that fail.</li>
 *   <li>{@link #ALARM} from the sender, under the abort policy: in place of the data or repair frame of
 *       count payload bytes whose pairs would come from a batch that failed verification (sequence: the
 *       next data frame's, which no alarm advances, or the repaired message's); nothing is coded on
 *       them, and the receiver fails the link.</li>
 *   <li>{@link #ACK}: every message through the sequence was delivered intact (cumulative).
 *       {@link #NACK}: count block indices follow that failed their checksum. {@link #ALARM} from the
 *       receiver: its verification raised an alarm under the abort policy; the receiver is giving up.</li>
 * </ul>
 *
 * Checksums travel as classical bits; only the wire frame's symbols are qubits. Both ends verify every
 * batch from the same announced outcomes and reserve each frame's pairs before they code it, so they
 * reach an alarm at the same frame, the first coded after a batch fails: under the abort policy the
 * sender sends {@link #ALARM} there, under the fallback policy it switches to {@link #FLAG_CLASSICAL}
 * frames.
 */
final class QuantumFrame
{
    static final byte DATA = 1;
    static final byte REPAIR = 2;
    static final byte ACK = 3;
    static final byte NACK = 4;
    static final byte ALARM = 6;
    static final byte REBLOCK = 7;

    static final byte FLAG_CLASSICAL = 1;

    /** Bits of the authenticated transport header every quantum-link message also carries (classical). */
    static final int TRANSPORT_HEADER_BITS = 8 * FrameHeaderFlyweight.HEADER_LENGTH;

    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    static final int TYPE_OFFSET = 0;
    static final int FLAGS_OFFSET = 1;
    static final int COUNT_OFFSET = 4;
    static final int SEQUENCE_OFFSET = 8;
    static final int HEADER_LENGTH = 16;

    static final int BLOCK_LENGTH_OFFSET = HEADER_LENGTH;
    static final int DATA_CRCS_OFFSET = HEADER_LENGTH + 4;
    static final int REPAIR_INDICES_OFFSET = HEADER_LENGTH;

    private QuantumFrame()
    {
    }

    static void writeHeader(final MutableDirectBuffer buffer, final byte type, final byte flags, final int count, final long sequence)
    {
        buffer.putByte(TYPE_OFFSET, type);
        buffer.putByte(FLAGS_OFFSET, flags);
        buffer.putShort(2, (short)0, ORDER);
        buffer.putInt(COUNT_OFFSET, count, ORDER);
        buffer.putLong(SEQUENCE_OFFSET, sequence, ORDER);
    }

    static byte type(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + TYPE_OFFSET);
    }

    static boolean isClassical(final DirectBuffer buffer, final int offset)
    {
        return (buffer.getByte(offset + FLAGS_OFFSET) & FLAG_CLASSICAL) != 0;
    }

    static int count(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + COUNT_OFFSET, ORDER);
    }

    static long sequence(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + SEQUENCE_OFFSET, ORDER);
    }

    static int blockCount(final int payloadLength, final int blockLength)
    {
        return payloadLength == 0 ? 0 : (int)(((long)payloadLength + blockLength - 1) / blockLength);
    }

    static int dataOverhead(final int blockCount)
    {
        return DATA_CRCS_OFFSET + 4 * blockCount;
    }
}
