package io.qring.allreduce.config;

import io.qring.allreduce.link.Link;
import io.qring.allreduce.link.LinkWrapper;
import io.qring.allreduce.link.PacedLink;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;

import java.util.Collection;
import java.util.function.BiFunction;

/**
 * Models how long the online phase of a collective would take on a real network, from what the
 * ledger says crossed each link (DESIGN §4, optional link-rate model).
 * <ul>
 *   <li>classical ring, per link: {@code CLASSICAL_EQUIVALENT_BITS / classicalBitsPerSecond + steps * latency}</li>
 *   <li>quantum ring, per link: {@code (ONLINE_QUBITS + RETRANSMITTED_QUBITS) / qubitsPerSecond
 *       + (ONLINE_CLASSICAL_BITS + FALLBACK_CLASSICAL_BITS) / classicalBitsPerSecond + steps * latency}
 *       (qubit and classical traffic are not overlapped: a conservative model)</li>
 *   <li>a ring: its links transmit in parallel, so the ring takes as long as its slowest link</li>
 * </ul>
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
     * Sequential message hops of one all-reduce of this engine: N − 1 for the agreement of the ranks
     * on length, type and operation, then N − 1 for reduce-scatter and N − 1 for all-gather.
     *
     * @param worldSize number of ranks.
     * @return 3 (N − 1).
     */
    public static int allReduceSteps(final int worldSize)
    {
        return 3 * (worldSize - 1);
    }

    /**
     * Modelled online time of one link as part of a classical ring.
     *
     * @param link  what crossed the link (e.g. one all-reduce's ledger difference).
     * @param steps sequential hops of the collective, each paying the latency once.
     * @return the modelled time.
     */
    public ModelledTime classical(final LedgerSnapshot link, final int steps)
    {
        return new ModelledTime(0.0, link.get(LedgerCounter.CLASSICAL_EQUIVALENT_BITS) / classicalBitsPerSecond,
            steps * latencySeconds);
    }

    /**
     * Modelled online time of one link as part of a quantum ring.
     *
     * @param link  what crossed the link.
     * @param steps sequential hops of the collective.
     * @return the modelled time.
     */
    public ModelledTime quantum(final LedgerSnapshot link, final int steps)
    {
        final long qubits = link.get(LedgerCounter.ONLINE_QUBITS) + link.get(LedgerCounter.RETRANSMITTED_QUBITS);
        final long bits = link.get(LedgerCounter.ONLINE_CLASSICAL_BITS) + link.get(LedgerCounter.FALLBACK_CLASSICAL_BITS);
        return new ModelledTime(qubits / qubitsPerSecond, bits / classicalBitsPerSecond, steps * latencySeconds);
    }

    /**
     * Modelled online time of a classical ring: its slowest link.
     *
     * @param links per-directed-link snapshots of the collective.
     * @param steps sequential hops of the collective.
     * @return the slowest link's modelled time.
     */
    public ModelledTime classicalRing(final Collection<LedgerSnapshot> links, final int steps)
    {
        return slowest(links, steps, this::classical);
    }

    /**
     * Modelled online time of a quantum ring: its slowest link.
     *
     * @param links per-directed-link snapshots of the collective.
     * @param steps sequential hops of the collective.
     * @return the slowest link's modelled time.
     */
    public ModelledTime quantumRing(final Collection<LedgerSnapshot> links, final int steps)
    {
        return slowest(links, steps, this::quantum);
    }

    private ModelledTime slowest(
        final Collection<LedgerSnapshot> links, final int steps, final BiFunction<LedgerSnapshot, Integer, ModelledTime> model)
    {
        ModelledTime slowest = new ModelledTime(0.0, 0.0, steps * latencySeconds);
        for (final LedgerSnapshot link : links)
        {
            final ModelledTime time = model.apply(link, steps);
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
     * @param latencySeconds   latency paid by the sequential steps.
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
