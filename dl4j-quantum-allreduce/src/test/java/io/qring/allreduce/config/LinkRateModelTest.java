package io.qring.allreduce.config;

import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;
import io.qring.channel.ledger.LinkLedger;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LinkRateModelTest
{
    private static final double EXACT = 1e-15;

    @Test
    void shouldModelAClassicalLinkAsBitsOverRatePlusLatencyPerMessage()
    {
        final LinkRateModel model = new LinkRateModel(1e9, 5e8, 1e-4);
        final LinkRateModel.ModelledTime time = model.classical(snapshot("0->1", 2_000_000_000L, 0, 0, 0, 0, 9));
        assertEquals(2.0, time.classicalSeconds(), EXACT);
        assertEquals(0.0, time.qubitSeconds(), EXACT);
        assertEquals(9e-4, time.latencySeconds(), EXACT);
        assertEquals(2.0009, time.totalSeconds(), 1e-12);
    }

    @Test
    void shouldModelAQuantumLinkAsQubitsAndClassicalSideTrafficInSeries()
    {
        final LinkRateModel model = new LinkRateModel(1e9, 5e8, 1e-4);
        final LedgerSnapshot link = snapshot("0->1", 2_000_000_000L, 900_000_000L, 100_000_000L, 4_000_000L, 6_000_000L, 9);
        final LinkRateModel.ModelledTime quantum = model.quantum(link);
        assertEquals((900e6 + 100e6) / 5e8, quantum.qubitSeconds(), EXACT);
        assertEquals((4e6 + 6e6) / 1e9, quantum.classicalSeconds(), EXACT);
        assertEquals(9e-4, quantum.latencySeconds(), EXACT);
        assertEquals(2.0 + 0.01 + 9e-4, quantum.totalSeconds(), 1e-12);
        assertEquals(2.0, model.classical(link).classicalSeconds(), EXACT);
    }

    @Test
    void shouldTakeTheSlowestLinkForARing()
    {
        final LinkRateModel model = new LinkRateModel(1e6, 1e6, 0.5);
        final List<LedgerSnapshot> links = List.of(
            snapshot("0->1", 3_000_000L, 1_000_000L, 0, 0, 0, 3),
            snapshot("1->0", 1_000_000L, 2_500_000L, 0, 0, 0, 4));
        assertEquals(3.0 + 1.5, model.classicalRing(links).totalSeconds(), EXACT);
        assertEquals(2.5 + 2.0, model.quantumRing(links).totalSeconds(), EXACT);
        assertEquals(0.0, model.classicalRing(List.of()).totalSeconds(), EXACT);
    }

    @Test
    void shouldRejectNonPositiveRatesAndNegativeLatency()
    {
        assertThrows(IllegalArgumentException.class, () -> new LinkRateModel(0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new LinkRateModel(1, Double.NaN, 0));
        assertThrows(IllegalArgumentException.class, () -> new LinkRateModel(1, 1, -1e-9));
    }

    private static LedgerSnapshot snapshot(
        final String name,
        final long classicalEquivalentBits,
        final long onlineQubits,
        final long retransmittedQubits,
        final long onlineClassicalBits,
        final long fallbackClassicalBits,
        final long messages)
    {
        final LinkLedger ledger = new LinkLedger(name);
        ledger.add(LedgerCounter.CLASSICAL_EQUIVALENT_BITS, classicalEquivalentBits);
        ledger.add(LedgerCounter.ONLINE_QUBITS, onlineQubits);
        ledger.add(LedgerCounter.RETRANSMITTED_QUBITS, retransmittedQubits);
        ledger.add(LedgerCounter.ONLINE_CLASSICAL_BITS, onlineClassicalBits);
        ledger.add(LedgerCounter.FALLBACK_CLASSICAL_BITS, fallbackClassicalBits);
        ledger.add(LedgerCounter.MESSAGES, messages);
        return ledger.snapshot();
    }
}
