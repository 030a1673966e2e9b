package io.qring.allreduce.quantum;

import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LinkLedger;

/**
 * Carries the frames a quantum link end's transport dropped ({@link LedgerCounter#REJECTED_FRAMES}) into
 * the quantum link end's own ledger, the one the ring reports: the transport counts them in a ledger of
 * its own, which the quantum link replaces. The frames dropped before the quantum link existed (during
 * the handshake) are carried at once, as a classical ring's ledger would hold them from the start; the
 * rest by the thread that reads the transport at the time, before it handles each message and after each
 * read, so frames dropped ahead of a message are counted before anything that message sets off (the end
 * of a collective included). Not thread-safe: one thread at a time reads the transport.
 */
final class RejectedFrameTally
{
    private final LinkLedger transport;
    private final LinkLedger own;
    private long carried;

    /**
     * @param transport the ledger the transport link counts its dropped frames in.
     * @param own       the quantum link end's ledger.
     */
    RejectedFrameTally(final LinkLedger transport, final LinkLedger own)
    {
        this.transport = transport;
        this.own = own;
        carry();
    }

    /** Adds to the quantum link end's ledger the frames the transport dropped since the last call. */
    void carry()
    {
        final long rejected = transport.get(LedgerCounter.REJECTED_FRAMES);
        if (rejected != carried)
        {
            own.add(LedgerCounter.REJECTED_FRAMES, rejected - carried);
            carried = rejected;
        }
    }
}
