package io.qring.channel.ledger;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LedgerTest
{
    @Test
    void shouldNameDirectedLinks()
    {
        assertEquals("3->0", LinkLedger.linkName(3, 0));
        assertEquals("3->0", new LinkLedger("3->0").link());
    }

    @Test
    void shouldSnapshotCountsWithoutSeeingLaterAdds()
    {
        final LinkLedger ledger = new LinkLedger("0->1");
        ledger.add(LedgerCounter.PAYLOAD_BITS, 800);
        ledger.add(LedgerCounter.ONLINE_QUBITS, 400);
        final LedgerSnapshot before = ledger.snapshot();
        ledger.add(LedgerCounter.PAYLOAD_BITS, 80);
        assertEquals(800, before.get(LedgerCounter.PAYLOAD_BITS));
        assertEquals(880, ledger.get(LedgerCounter.PAYLOAD_BITS));
        assertEquals(2.0, before.goodputBitsPerQubit());
    }

    @Test
    void shouldRejectNegativeAmounts()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> new LinkLedger("0->1").add(LedgerCounter.EPR_CONSUMED, -1));
        assertTrue(ex.getMessage().contains("eprConsumed"));
    }

    /**
     * A quantum link's two ends count different things under one name: the deltas of each iteration are
     * the whole link's, never one end's count minus the other's.
     */
    @Test
    void shouldDifferenceALinkSplitBetweenItsTwoEndsAsOneLink()
    {
        final LinkLedger sender = new LinkLedger("0->1");
        final LinkLedger receiver = new LinkLedger("0->1");
        final LinkLedger other = new LinkLedger("1->0");
        final LedgerDeltas deltas = new LedgerDeltas();
        for (int iteration = 1; iteration <= 3; iteration++)
        {
            sender.add(LedgerCounter.PAYLOAD_BITS, 1000);
            sender.add(LedgerCounter.ONLINE_QUBITS, 500);
            receiver.add(LedgerCounter.ONLINE_CLASSICAL_BITS, 64);
            other.add(LedgerCounter.PAYLOAD_BITS, 8);

            final List<LedgerSnapshot> delta = deltas.next(List.of(sender.snapshot(), other.snapshot(), receiver.snapshot()));

            assertEquals(List.of("0->1", "1->0"), delta.stream().map(LedgerSnapshot::link).toList(), "one delta per link, in order");
            assertEquals(1000, delta.get(0).get(LedgerCounter.PAYLOAD_BITS), "iteration " + iteration);
            assertEquals(500, delta.get(0).get(LedgerCounter.ONLINE_QUBITS), "iteration " + iteration);
            assertEquals(64, delta.get(0).get(LedgerCounter.ONLINE_CLASSICAL_BITS), "iteration " + iteration);
            assertEquals(8, delta.get(1).get(LedgerCounter.PAYLOAD_BITS), "iteration " + iteration);
        }
    }

    @Test
    void shouldMergeSnapshotsByLinkInTheOrderTheLinksFirstAppear()
    {
        final LinkLedger a = new LinkLedger("2->0");
        a.add(LedgerCounter.EPR_CONSUMED, 7);
        final LinkLedger b = new LinkLedger("0->1");
        b.add(LedgerCounter.EPR_CONSUMED, 5);
        final LinkLedger c = new LinkLedger("2->0");
        c.add(LedgerCounter.MESSAGES, 3);

        final List<LedgerSnapshot> merged = LedgerSnapshot.mergeByLink(List.of(a.snapshot(), b.snapshot(), c.snapshot()));

        assertEquals(List.of("2->0", "0->1"), merged.stream().map(LedgerSnapshot::link).toList());
        assertEquals(7, merged.get(0).get(LedgerCounter.EPR_CONSUMED));
        assertEquals(3, merged.get(0).get(LedgerCounter.MESSAGES));
        assertEquals(b.snapshot(), merged.get(1));
    }

    @Test
    void shouldSubtractAnEarlierSnapshot()
    {
        final LinkLedger ledger = new LinkLedger("0->1");
        ledger.add(LedgerCounter.EPR_CONSUMED, 10);
        final LedgerSnapshot start = ledger.snapshot();
        ledger.add(LedgerCounter.EPR_CONSUMED, 32);
        ledger.add(LedgerCounter.RETRANSMITTED_QUBITS, 4);
        final LedgerSnapshot delta = ledger.snapshot().minus(start);
        assertEquals(32, delta.get(LedgerCounter.EPR_CONSUMED));
        assertEquals(4, delta.get(LedgerCounter.RETRANSMITTED_QUBITS));
        assertEquals(0, delta.get(LedgerCounter.PAYLOAD_BITS));
        assertEquals("0->1", delta.link());
    }

    @Test
    void shouldRefuseACapacityOutsideZeroToTwoBitsPerQubit()
    {
        final LinkLedger ledger = new LinkLedger("0->1");
        for (final double capacity : new double[]{Double.NaN, -0.01, 2.01, Double.POSITIVE_INFINITY})
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> ledger.capacityBitsPerQubit(capacity));
            assertTrue(ex.getMessage().contains("link 0->1: dense-coding capacity must be in [0, 2]"), ex.getMessage());
        }
        ledger.capacityBitsPerQubit(0);
        ledger.capacityBitsPerQubit(2);
    }

    @Test
    void shouldRefuseToSubtractAnotherLinkOrALaterSnapshot()
    {
        final LinkLedger ledger = new LinkLedger("0->1");
        final LedgerSnapshot before = ledger.snapshot();
        ledger.add(LedgerCounter.EPR_CONSUMED, 7);
        final LedgerSnapshot after = ledger.snapshot();

        final IllegalArgumentException otherLink = assertThrows(IllegalArgumentException.class,
            () -> after.minus(new LinkLedger("1->2").snapshot()));
        assertTrue(otherLink.getMessage().contains("link 1->2 from that of link 0->1"), otherLink.getMessage());
        final IllegalArgumentException later = assertThrows(IllegalArgumentException.class, () -> before.minus(after));
        assertTrue(later.getMessage().contains("counts 7 " + LedgerCounter.EPR_CONSUMED.key() + ", more than the later one's 0"),
            later.getMessage());
    }

    @Test
    void shouldMergeLinksByAddingCountsAndKeepingTheSmallestCapacity()
    {
        final LinkLedger a = new LinkLedger("0->1");
        final LinkLedger b = new LinkLedger("1->0");
        a.add(LedgerCounter.PAYLOAD_BITS, 100);
        b.add(LedgerCounter.PAYLOAD_BITS, 28);
        b.add(LedgerCounter.VERIFICATION_ALARMS, 1);
        a.capacityBitsPerQubit(1.9);
        b.capacityBitsPerQubit(1.5);
        final LedgerSnapshot ring = LedgerSnapshot.merge("ring", List.of(a.snapshot(), b.snapshot()));
        assertEquals("ring", ring.link());
        assertEquals(128, ring.get(LedgerCounter.PAYLOAD_BITS));
        assertEquals(1, ring.get(LedgerCounter.VERIFICATION_ALARMS));
        assertEquals(1.5, ring.capacityBitsPerQubit());
        assertEquals(LedgerSnapshot.empty("ring"), LedgerSnapshot.merge("ring", List.of()));
    }

    @Test
    void shouldGiveGoodputPerOnlineAndRetransmittedQubit()
    {
        final LinkLedger ledger = new LinkLedger("0->1");
        assertEquals(0.0, ledger.snapshot().goodputBitsPerQubit());
        ledger.add(LedgerCounter.PAYLOAD_BITS, 1000);
        ledger.add(LedgerCounter.ONLINE_QUBITS, 500);
        ledger.add(LedgerCounter.RETRANSMITTED_QUBITS, 125);
        assertEquals(1.6, ledger.snapshot().goodputBitsPerQubit(), 1e-15);
    }

    @Test
    void shouldNotCreditQubitsWithPayloadCarriedByTheClassicalFallback()
    {
        final LinkLedger ledger = new LinkLedger("0->1");
        ledger.add(LedgerCounter.PAYLOAD_BITS, 1000);
        ledger.add(LedgerCounter.ONLINE_QUBITS, 100);
        ledger.add(LedgerCounter.FALLBACK_CLASSICAL_BITS, 800);
        assertEquals(2.0, ledger.snapshot().goodputBitsPerQubit(), 1e-15);
    }

    @Test
    void shouldAlignCsvRowsWithTheHeader()
    {
        final LinkLedger ledger = new LinkLedger("0->1");
        ledger.add(LedgerCounter.OFFLINE_QUBITS, 77);
        ledger.add(LedgerCounter.FALLBACK_CLASSICAL_BITS, 5);
        ledger.add(LedgerCounter.PAYLOAD_BITS, 64);
        ledger.add(LedgerCounter.ONLINE_QUBITS, 32);
        final LedgerSnapshot snapshot = ledger.snapshot();
        final String[] header = LedgerSnapshot.csvHeader().split(",");
        final String[] row = snapshot.toCsvRow().split(",");
        assertEquals(header.length, row.length);
        assertEquals("link", header[0]);
        assertEquals("0->1", row[0]);
        for (final LedgerCounter counter : LedgerCounter.values())
        {
            final int column = List.of(header).indexOf(counter.key());
            assertNotEquals(-1, column, counter.key());
            assertEquals(snapshot.get(counter), Long.parseLong(row[column]), counter.key());
        }
        assertEquals((64 - 5) / 32.0, Double.parseDouble(row[List.of(header).indexOf("goodputBitsPerQubit")]));
        assertEquals(2.0, Double.parseDouble(row[List.of(header).indexOf("capacityBitsPerQubit")]));
    }

    @Test
    void shouldCountConcurrentAddsExactly() throws Exception
    {
        final LinkLedger ledger = new LinkLedger("0->1");
        final ExecutorService executor = Executors.newFixedThreadPool(2);
        try
        {
            final Future<?> a = executor.submit(() -> addMany(ledger));
            final Future<?> b = executor.submit(() -> addMany(ledger));
            a.get(30, TimeUnit.SECONDS);
            b.get(30, TimeUnit.SECONDS);
        }
        finally
        {
            executor.shutdownNow();
        }
        assertEquals(200_000, ledger.get(LedgerCounter.EPR_CONSUMED));
    }

    private static void addMany(final LinkLedger ledger)
    {
        for (int i = 0; i < 100_000; i++)
        {
            ledger.add(LedgerCounter.EPR_CONSUMED, 1);
        }
    }
}
