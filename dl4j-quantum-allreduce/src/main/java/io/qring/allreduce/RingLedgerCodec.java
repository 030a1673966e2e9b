package io.qring.allreduce;

import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;
import io.qring.channel.ledger.LinkLedger;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The form in which a rank's link ledgers travel in {@link RingAllReduce#gatherRingLedgers()}, little-endian:
 * the number of counters per snapshot (int), then two views (cumulative, last operation), each the number
 * of its snapshots (int, at most 2) followed by every snapshot as its link name (int length, UTF-8 bytes),
 * one long per {@link LedgerCounter} in declaration order and its capacity in bits per qubit (double).
 *
 * <p>Decoding checks the whole layout, so a rank that sends ledgers of another shape (another build's
 * counters) or a truncated or overlong blob is named in the error instead of surfacing as a bare buffer
 * exception.
 */
final class RingLedgerCodec
{
    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    private static final int VIEWS = 2;
    private static final int LINKS_PER_RANK = 2;

    private RingLedgerCodec()
    {
    }

    /**
     * @param cumulative    the rank's cumulative link ledgers, at most two.
     * @param lastOperation the rank's ledgers of its last collective, at most two.
     * @return the encoded ledgers.
     */
    static byte[] encode(final List<LedgerSnapshot> cumulative, final List<LedgerSnapshot> lastOperation)
    {
        final LedgerCounter[] counters = LedgerCounter.values();
        final List<List<LedgerSnapshot>> views = List.of(cumulative, lastOperation);
        int size = Integer.BYTES + VIEWS * Integer.BYTES;
        final List<byte[]> names = new ArrayList<>();
        for (final List<LedgerSnapshot> view : views)
        {
            for (final LedgerSnapshot snapshot : view)
            {
                final byte[] name = snapshot.link().getBytes(StandardCharsets.UTF_8);
                names.add(name);
                size += Integer.BYTES + name.length + counters.length * Long.BYTES + Double.BYTES;
            }
        }
        final ByteBuffer buffer = ByteBuffer.allocate(size).order(ORDER);
        buffer.putInt(counters.length);
        int nameIndex = 0;
        for (final List<LedgerSnapshot> view : views)
        {
            buffer.putInt(view.size());
            for (final LedgerSnapshot snapshot : view)
            {
                final byte[] name = names.get(nameIndex++);
                buffer.putInt(name.length).put(name);
                for (final LedgerCounter counter : counters)
                {
                    buffer.putLong(snapshot.get(counter));
                }
                buffer.putDouble(snapshot.capacityBitsPerQubit());
            }
        }
        return buffer.array();
    }

    /**
     * @param rank    the rank that sent {@code encoded}, for the error message.
     * @param encoded what {@link #encode} made on that rank.
     * @return the cumulative view, then the last-operation view.
     * @throws IllegalStateException naming the rank if {@code encoded} is not ledgers in this build's layout.
     */
    static List<List<LedgerSnapshot>> decode(final int rank, final byte[] encoded)
    {
        final ByteBuffer buffer = ByteBuffer.wrap(encoded).order(ORDER);
        try
        {
            final int counters = buffer.getInt();
            if (counters != LedgerCounter.values().length)
            {
                throw malformed(rank, encoded, "snapshots of " + counters + " counters where this build has " +
                    LedgerCounter.values().length + " (do all ranks run the same qring build?)");
            }
            final List<List<LedgerSnapshot>> views = List.of(decodeView(rank, encoded, buffer), decodeView(rank, encoded, buffer));
            if (buffer.hasRemaining())
            {
                throw malformed(rank, encoded, buffer.remaining() + " bytes after the last snapshot");
            }
            return views;
        }
        catch (final BufferUnderflowException ex)
        {
            throw malformed(rank, encoded, "it ends inside a snapshot");
        }
        catch (final IllegalArgumentException ex)
        {
            throw malformed(rank, encoded, ex.getMessage());
        }
    }

    private static List<LedgerSnapshot> decodeView(final int rank, final byte[] encoded, final ByteBuffer buffer)
    {
        final int count = buffer.getInt();
        if (count < 0 || count > LINKS_PER_RANK)
        {
            throw malformed(rank, encoded, "a view of " + count + " links where each rank has " + LINKS_PER_RANK);
        }
        final List<LedgerSnapshot> snapshots = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            final int nameLength = buffer.getInt();
            if (nameLength < 0 || nameLength > buffer.remaining())
            {
                throw malformed(rank, encoded, "a link name of " + nameLength + " bytes with " + buffer.remaining() + " left");
            }
            final byte[] name = new byte[nameLength];
            buffer.get(name);
            final LinkLedger ledger = new LinkLedger(new String(name, StandardCharsets.UTF_8));
            for (final LedgerCounter counter : LedgerCounter.values())
            {
                ledger.add(counter, buffer.getLong());
            }
            ledger.capacityBitsPerQubit(buffer.getDouble());
            snapshots.add(ledger.snapshot());
        }
        return snapshots;
    }

    private static IllegalStateException malformed(final int rank, final byte[] encoded, final String cause)
    {
        return new IllegalStateException("rank " + rank + " sent ledgers this rank cannot read (" + encoded.length +
            " bytes): " + cause);
    }
}
