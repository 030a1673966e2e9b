package io.qring.allreduce.link;

import io.qring.allreduce.config.LinkRateModel;
import io.qring.allreduce.config.RingContext;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LinkLedger;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;

import java.util.concurrent.TimeUnit;

/**
 * Holds a link's sends to the rates of a {@link LinkRateModel}, so that a ring on this machine runs at
 * the pace a real network of those rates would set. The modelled link transmits one thing at a time:
 * what a send put on the wire, read from the link's ledger as the model reads it,
 * {@code (ONLINE_QUBITS + RETRANSMITTED_QUBITS) / qubit rate + (ONLINE_CLASSICAL_BITS +
 * FALLBACK_CLASSICAL_BITS) / classical rate} (a classical link has no qubits, a quantum link's repairs
 * are counted at the next send), occupies it from when the send starts, or the link frees up if later;
 * a send waits until everything sent before has been transmitted, and so does the {@link #flush} that
 * ends a collective, so a collective never ends before its links have carried it at the model's rates.
 * Only rates are paced: the model's per-hop latency is reported, not inserted.
 * <p>
 * Wrap the outermost sending link (see {@link LinkRateModel#pacing()}), after any quantum wrapper,
 * so the ledger it reads counts qubits.
 */
public final class PacedLink extends DelegatingLink
{
    private final LinkRateModel model;
    private final IdleStrategy idle = RingContext.defaultIdleStrategy();
    private long pacedQubits;
    private long pacedClassicalBits;
    private long freeAtNs;

    /**
     * @param delegate the link whose sends are paced; its ledger is read after each send.
     * @param model    the rates.
     */
    public PacedLink(final Link delegate, final LinkRateModel model)
    {
        super(delegate);
        this.model = model;
        this.freeAtNs = System.nanoTime();
    }

    /**
     * Waits until the modelled link has transmitted everything sent before, sends, and books the
     * transmission time of what the send put on the wire.
     *
     * @throws LinkTimeoutException if the modelled link is busy past {@code deadlineNanos}.
     */
    @Override
    public void send(final DirectBuffer buffer, final int offset, final int length, final long deadlineNanos)
    {
        awaitFree(deadlineNanos);
        final long start = System.nanoTime();
        delegate.send(buffer, offset, length, deadlineNanos);
        book(start);
    }

    /**
     * Flushes, books what the flush put on the wire (e.g. a quantum link's last repairs), and waits until
     * the modelled link has transmitted everything: the collective's last message too.
     *
     * @throws LinkTimeoutException if the modelled link is busy past {@code deadlineNanos}.
     */
    @Override
    public void flush(final long deadlineNanos)
    {
        final long start = System.nanoTime();
        delegate.flush(deadlineNanos);
        book(start);
        awaitFree(deadlineNanos);
    }

    /**
     * Books the transmission time of what the link put on the wire since the last booking, starting at
     * {@code startNs} or when the link frees up, whichever is later.
     */
    private void book(final long startNs)
    {
        final LinkLedger ledger = delegate.ledger();
        final long qubits = ledger.get(LedgerCounter.ONLINE_QUBITS) + ledger.get(LedgerCounter.RETRANSMITTED_QUBITS);
        final long classicalBits = ledger.get(LedgerCounter.ONLINE_CLASSICAL_BITS) +
            ledger.get(LedgerCounter.FALLBACK_CLASSICAL_BITS);
        final double seconds = (qubits - pacedQubits) / model.qubitsPerSecond() +
            (classicalBits - pacedClassicalBits) / model.classicalBitsPerSecond();
        pacedQubits = qubits;
        pacedClassicalBits = classicalBits;
        freeAtNs = Math.max(freeAtNs, startNs) + (long)Math.ceil(seconds * 1e9);
    }

    private void awaitFree(final long deadlineNanos)
    {
        idle.reset();
        while (true)
        {
            final long now = System.nanoTime();
            if (now - freeAtNs >= 0)
            {
                return;
            }
            if (freeAtNs - deadlineNanos > 0)
            {
                throw new LinkTimeoutException(peerName(), "paced link to " + peerName() + " stays busy for another " +
                    TimeUnit.NANOSECONDS.toMillis(freeAtNs - now) + " ms at " + model.classicalBitsPerSecond() + " bit/s and " +
                    model.qubitsPerSecond() + " qubit/s, past the deadline");
            }
            idle.idle();
        }
    }
}
