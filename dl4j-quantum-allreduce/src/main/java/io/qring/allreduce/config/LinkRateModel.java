package io.qring.allreduce.config;

import io.qring.allreduce.link.Link;
import io.qring.allreduce.link.LinkWrapper;
import io.qring.allreduce.link.PacedLink;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;

import java.util.Collection;
import java.util.function.Function;

/**
 * Models how long the online phase of a collective would take on a real network, from what the
 * ledger says crossed each link (DESIGN §4, optional link-rate model).
 * <ul>
 *   <li>classical ring, per link: {@code CLASSICAL_EQUIVALENT_BITS / classicalBitsPerSecond + MESSAGES * latency}</li>
 *   <li>quantum ring, per link: {@code (ONLINE_QUBITS + RETRANSMITTED_QUBITS) / qubitsPerSecond
 *       + (ONLINE_CLASSICAL_BITS + FALLBACK_CLASSICAL_BITS) / classicalBitsPerSecond + MESSAGES * latency}
 *       (qubit and classical traffic are not overlapped: a conservative model)</li>
 *   <li>a ring: its links transmit in parallel, so the ring takes as long as its slowest link</li>
 * </ul>
 * {@code MESSAGES} counts the messages the ring engine sent over the link. The model counts them as if
 * the engine exchanged them in lockstep ({@link RingContext#sendAhead(int) send-ahead} 0): in each round
 * every rank sends one message (a descriptor or a chunk) to its next rank and waits for one from its
 * previous rank before the next round, so every round pays the hop latency once. The chunks a rank sends
 * ahead by default hide some of that latency, which the model leaves out: its latency term is an upper
 * bound then. An all-reduce of M elements in chunks of c elements over N ranks takes (N − 1) rounds for the ranks'
 * agreement on the call plus ⌈⌈M/N⌉/c⌉ rounds for each of the 2(N − 1) reduce-scatter and all-gather
 * steps. Not counted: the repair round trips of a noisy quantum link, and the acknowledgement a quantum
 * sender waits for at the end of a collective (one more hop each).
 * A classical ring's ledger has {@code CLASSICAL_EQUIVALENT_BITS == ONLINE_CLASSICAL_BITS}; a quantum
 * ring's ledger also carries what a classical ring would have sent, so both times can be modelled
 * from it. {@link #pacing()} makes a ring run at these rates.
 *
 * @param classicalBitsPerSecond rate of a classical link, bit/s, &gt; 0.
 * @param qubitsPerSecond        rate of a quantum link, qubit/s, &gt; 0.
 * @param latencySeconds         one-way latency of a hop, s, &ge; 0.
 */
public record LinkRateModel(double classicalBitsPerSecond, double qubitsPerSecond, double latencySeconds)
{
    /**
     * Validates the rates.
     *
     * @param classicalBitsPerSecond rate of a classical link, bit/s, &gt; 0.
     * @param qubitsPerSecond        rate of a quantum link, qubit/s, &gt; 0.
     * @param latencySeconds         one-way latency of a hop, s, &ge; 0.
     */
    public LinkRateModel
    {
        if (!(classicalBitsPerSecond > 0) || !(qubitsPerSecond > 0) || !(latencySeconds >= 0) ||
            Double.isInfinite(latencySeconds))
        {
            throw new IllegalArgumentException("rates must be > 0 and latency >= 0 and finite: " + classicalBitsPerSecond +
                " bit/s, " + qubitsPerSecond + " qubit/s, " + latencySeconds + " s");
        }
    }

    /**
     * Paces every rank's sending links to these rates ({@link PacedLink}); compose it after a quantum
     * wrapper, e.g. {@code quantumSettings.wrapper().then(model.pacing())}.
     *
     * @return a link wrapper that paces next links and leaves previous links as they are.
     */
    public LinkWrapper pacing()
    {
        final LinkRateModel model = this;
        return new LinkWrapper()
        {
            @Override
            public Link wrapNext(final Link link, final int selfRank, final int nextRank)
            {
                return new PacedLink(link, model);
            }

            @Override
            public Link wrapPrevious(final Link link, final int selfRank, final int previousRank)
            {
                return link;
            }
        };
    }

    /**
     * Modelled online time of one link as part of a classical ring.
     *
     * @param link what crossed the link (e.g. one all-reduce's ledger difference).
     * @return the modelled time.
     */
    public ModelledTime classical(final LedgerSnapshot link)
    {
        return new ModelledTime(0.0, link.get(LedgerCounter.CLASSICAL_EQUIVALENT_BITS) / classicalBitsPerSecond, latency(link));
    }

    /**
     * Modelled online time of one link as part of a quantum ring.
     *
     * @param link what crossed the link.
     * @return the modelled time.
     */
    public ModelledTime quantum(final LedgerSnapshot link)
    {
        final long qubits = link.get(LedgerCounter.ONLINE_QUBITS) + link.get(LedgerCounter.RETRANSMITTED_QUBITS);
        final long bits = link.get(LedgerCounter.ONLINE_CLASSICAL_BITS) + link.get(LedgerCounter.FALLBACK_CLASSICAL_BITS);
        return new ModelledTime(qubits / qubitsPerSecond, bits / classicalBitsPerSecond, latency(link));
    }

    /**
     * Modelled online time of a classical ring: its slowest link.
     *
     * @param links per-directed-link snapshots of the collective; several of one link (its two ends) are merged.
     * @return the slowest link's modelled time (zero for no links).
     */
    public ModelledTime classicalRing(final Collection<LedgerSnapshot> links)
    {
        return slowest(links, this::classical);
    }

    /**
     * Modelled online time of a quantum ring: its slowest link.
     *
     * @param links per-directed-link snapshots of the collective; several of one link (its two ends) are merged.
     * @return the slowest link's modelled time (zero for no links).
     */
    public ModelledTime quantumRing(final Collection<LedgerSnapshot> links)
    {
        return slowest(links, this::quantum);
    }

    private double latency(final LedgerSnapshot link)
    {
        return link.get(LedgerCounter.MESSAGES) * latencySeconds;
    }

    private static ModelledTime slowest(final Collection<LedgerSnapshot> links, final Function<LedgerSnapshot, ModelledTime> model)
    {
        ModelledTime slowest = new ModelledTime(0.0, 0.0, 0.0);
        for (final LedgerSnapshot link : LedgerSnapshot.mergeByLink(links))
        {
            final ModelledTime time = model.apply(link);
            if (time.totalSeconds() > slowest.totalSeconds())
            {
                slowest = time;
            }
        }
        return slowest;
    }

    /**
     * A modelled online time and its parts.
     *
     * @param qubitSeconds     time spent sending qubits.
     * @param classicalSeconds time spent sending classical bits.
     * @param latencySeconds   latency paid by the sequential message rounds.
     */
    public record ModelledTime(double qubitSeconds, double classicalSeconds, double latencySeconds)
    {
        /** @return the sum of the parts, seconds. */
        public double totalSeconds()
        {
            return qubitSeconds + classicalSeconds + latencySeconds;
        }
    }
}
