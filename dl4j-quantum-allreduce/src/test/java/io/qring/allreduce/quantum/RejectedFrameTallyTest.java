package io.qring.allreduce.quantum;

import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LinkLedger;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RejectedFrameTallyTest
{
    @Test
    void shouldCarryTheHandshakesDropsAtOnceAndEveryLaterDropExactlyOnce()
    {
        final LinkLedger transport = new LinkLedger("0->1");
        final LinkLedger own = new LinkLedger("0->1");
        transport.add(LedgerCounter.REJECTED_FRAMES, 4);
        transport.add(LedgerCounter.ONLINE_CLASSICAL_BITS, 1_000);

        final RejectedFrameTally tally = new RejectedFrameTally(transport, own);
        assertEquals(4, own.get(LedgerCounter.REJECTED_FRAMES), "dropped during the handshake, before the quantum link existed");

        tally.carry();
        assertEquals(4, own.get(LedgerCounter.REJECTED_FRAMES), "nothing new, nothing added");

        transport.add(LedgerCounter.REJECTED_FRAMES, 2);
        tally.carry();
        tally.carry();
        assertEquals(6, own.get(LedgerCounter.REJECTED_FRAMES));
        assertEquals(0, own.get(LedgerCounter.ONLINE_CLASSICAL_BITS), "only the rejected frames are carried");
    }
}
