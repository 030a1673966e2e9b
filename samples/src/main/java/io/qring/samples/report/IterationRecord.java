package io.qring.samples.report;

import io.qring.channel.ledger.LedgerSnapshot;

import java.util.List;

/**
 * What one training iteration of one run did.
 *
 * @param iteration  iteration number (increasing within a run).
 * @param loss       training loss (score) of the iteration; NaN for a job that computes none (a bare all-reduce).
 * @param seconds    wall time of the iteration on its slowest rank (for a bare all-reduce, the time of one
 *                   all-reduce); NaN when not measured.
 * @param linkDeltas per directed link, what crossed it during this iteration
 *                   ({@link LedgerSnapshot#minus} of the cumulative snapshots around it).
 */
public record IterationRecord(long iteration, double loss, double seconds, List<LedgerSnapshot> linkDeltas)
{
    /**
     * Copies the list of deltas.
     *
     * @param iteration  iteration number (increasing within a run).
     * @param loss       training loss (score) of the iteration; NaN for a job that computes none.
     * @param seconds    wall time of the iteration on its slowest rank; NaN when not measured.
     * @param linkDeltas per directed link, what crossed it during this iteration
     *                   ({@link LedgerSnapshot#minus} of the cumulative snapshots around it).
     */
    public IterationRecord
    {
        linkDeltas = List.copyOf(linkDeltas);
    }
}
