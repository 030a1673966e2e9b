package io.qring.samples.launcher;

import io.qring.channel.ledger.LedgerSnapshot;
import io.qring.samples.report.Evaluation;
import io.qring.samples.report.QberEstimate;

import java.util.ArrayList;
import java.util.List;

/**
 * What one rank recorded during a job: per iteration its loss, duration and the cumulative ledgers of
 * its two link ends ({@code RingAllReduce.linkLedgers()}), plus its evaluations, the QBER estimates of the link it receives on, and a
 * checksum of its final state (model parameters or all-reduce output) to compare ranks and runs.
 *
 * @param rank             the rank.
 * @param losses           training loss per iteration (NaN when the job does not train).
 * @param iterationSeconds wall time of each iteration.
 * @param ledgers          per iteration, the cumulative snapshots of the rank's links after it.
 * @param evaluations      test accuracy measurements (rank 0 only).
 * @param qberEstimates    verification rounds of the quantum link this rank receives on.
 * @param finalStateCrc    CRC-32 of the rank's final state; equal on every rank of a synchronous ring.
 * @param wallSeconds      wall time of the whole job on this rank.
 */
public record RankResult(int rank, List<Double> losses, List<Double> iterationSeconds, List<List<LedgerSnapshot>> ledgers,
    List<Evaluation> evaluations, List<QberEstimate> qberEstimates, long finalStateCrc, double wallSeconds)
{
    /**
     * Copies the lists and checks that every iteration has a loss, a duration and ledgers.
     *
     * @param rank             the rank.
     * @param losses           training loss per iteration (NaN when the job does not train).
     * @param iterationSeconds wall time of each iteration.
     * @param ledgers          per iteration, the cumulative snapshots of the rank's links after it.
     * @param evaluations      test accuracy measurements (rank 0 only).
     * @param qberEstimates    verification rounds of the quantum link this rank receives on.
     * @param finalStateCrc    CRC-32 of the rank's final state.
     * @param wallSeconds      wall time of the whole job on this rank.
     * @throws IllegalArgumentException if the per-iteration lists differ in length.
     */
    public RankResult
    {
        losses = List.copyOf(losses);
        iterationSeconds = List.copyOf(iterationSeconds);
        ledgers = ledgers.stream().map(List::copyOf).toList();
        evaluations = List.copyOf(evaluations);
        qberEstimates = List.copyOf(qberEstimates);
        if (losses.size() != ledgers.size() || iterationSeconds.size() != ledgers.size())
        {
            throw new IllegalArgumentException("rank " + rank + " recorded " + losses.size() + " losses, " +
                iterationSeconds.size() + " durations and " + ledgers.size() + " ledger snapshots");
        }
    }

    /** @return how many iterations the rank recorded. */
    public int iterations()
    {
        return ledgers.size();
    }

    /**
     * The same result with the last iteration's ledgers replaced by snapshots taken once the links are done
     * (every rank finished, or this rank's ring closed and drained), so traffic the links still carried
     * after the rank's last call (late repairs) is counted.
     *
     * @param finalLedgers the rank's cumulative link snapshots at the end of the job.
     * @return the adjusted result (this one if no iteration was recorded).
     */
    public RankResult withFinalLedgers(final List<LedgerSnapshot> finalLedgers)
    {
        if (ledgers.isEmpty())
        {
            return this;
        }
        final List<List<LedgerSnapshot>> adjusted = new ArrayList<>(ledgers);
        adjusted.set(adjusted.size() - 1, finalLedgers);
        return new RankResult(rank, losses, iterationSeconds, adjusted, evaluations, qberEstimates, finalStateCrc, wallSeconds);
    }
}
