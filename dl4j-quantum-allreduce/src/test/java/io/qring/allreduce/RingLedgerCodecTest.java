package io.qring.allreduce;

import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RingLedgerCodecTest
{
    private static final List<LedgerSnapshot> CUMULATIVE = List.of(RingTestSupport.distinctSnapshot("2->3", 7, 1.5), RingTestSupport.distinctSnapshot("1->2", 11, 2.0));
    private static final List<LedgerSnapshot> LAST_OPERATION = List.of(RingTestSupport.distinctSnapshot("2->3", 3, 1.5), RingTestSupport.distinctSnapshot("1->2", 5, 2.0));

    @Test
    void shouldDecodeBothViewsExactly()
    {
        final List<List<LedgerSnapshot>> views = RingLedgerCodec.decode(2, RingLedgerCodec.encode(CUMULATIVE, LAST_OPERATION));

        assertEquals(List.of(CUMULATIVE, LAST_OPERATION), views);
    }

    @Test
    void shouldNameTheRankOfATruncatedBlobAtEveryCut()
    {
        final byte[] encoded = RingLedgerCodec.encode(CUMULATIVE, LAST_OPERATION);
        for (int length = 0; length < encoded.length; length++)
        {
            final byte[] cut = Arrays.copyOf(encoded, length);

            final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> RingLedgerCodec.decode(3, cut),
                "cut at " + length);

            assertTrue(ex.getMessage().startsWith("rank 3 sent ledgers this rank cannot read (" + length + " bytes): "),
                ex.getMessage());
        }
    }

    @Test
    void shouldRefuseTrailingBytes()
    {
        final byte[] encoded = Arrays.copyOf(RingLedgerCodec.encode(CUMULATIVE, LAST_OPERATION), 1000);

        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> RingLedgerCodec.decode(1, encoded));

        assertTrue(ex.getMessage().contains("rank 1 ") && ex.getMessage().contains("bytes after the last snapshot"), ex.getMessage());
    }

    @Test
    void shouldRefuseSnapshotsOfAnotherBuildsCounters()
    {
        final byte[] encoded = RingLedgerCodec.encode(CUMULATIVE, LAST_OPERATION);
        ByteBuffer.wrap(encoded).order(ByteOrder.LITTLE_ENDIAN).putInt(0, LedgerCounter.values().length + 1);

        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> RingLedgerCodec.decode(0, encoded));

        assertTrue(ex.getMessage().contains("rank 0 ") && ex.getMessage().contains("snapshots of " + (LedgerCounter.values().length + 1) +
            " counters") && ex.getMessage().contains("same qring build"), ex.getMessage());
    }

    @Test
    void shouldRefuseMoreThanTwoLinksOrANegativeNameLength()
    {
        final byte[] encoded = RingLedgerCodec.encode(CUMULATIVE, LAST_OPERATION);
        final ByteBuffer buffer = ByteBuffer.wrap(encoded).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(Integer.BYTES, 3);
        final IllegalStateException links = assertThrows(IllegalStateException.class, () -> RingLedgerCodec.decode(4, encoded));
        assertTrue(links.getMessage().contains("a view of 3 links"), links.getMessage());

        buffer.putInt(Integer.BYTES, 2).putInt(2 * Integer.BYTES, -1);
        final IllegalStateException name = assertThrows(IllegalStateException.class, () -> RingLedgerCodec.decode(4, encoded));
        assertTrue(name.getMessage().contains("a link name of -1 bytes"), name.getMessage());
    }

    @Test
    void shouldRefuseANegativeCounter()
    {
        final byte[] encoded = RingLedgerCodec.encode(List.of(RingTestSupport.distinctSnapshot("0->1", 1, 2.0)), List.of());
        final int firstCounter = 3 * Integer.BYTES + "0->1".length();
        ByteBuffer.wrap(encoded).order(ByteOrder.LITTLE_ENDIAN).putLong(firstCounter, -5);

        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> RingLedgerCodec.decode(1, encoded));

        assertTrue(ex.getMessage().contains("rank 1 ") && ex.getMessage().contains("never negative"), ex.getMessage());
    }
}
