package io.qring.samples.launcher;

import io.qring.samples.report.FinalState;
import io.qring.samples.report.RunRecord;

import java.util.List;

/**
 * One finished run: its record for the report and the per-rank results it was assembled from.
 *
 * @param kind   the run's link kind.
 * @param record the assembled record.
 * @param ranks  every rank's result, in rank order.
 */
public record RunOutcome(LinkKind kind, RunRecord record, List<RankResult> ranks)
{
    /**
     * Copies the rank results.
     *
     * @param kind   the run's link kind.
     * @param record the assembled record.
     * @param ranks  every rank's result, in rank order.
     */
    public RunOutcome
    {
        ranks = List.copyOf(ranks);
    }

    /** @return whether every rank ended in the same state (same final-state checksum). */
    public boolean ranksAgree()
    {
        return finalState().ranksAgree();
    }

    /** @return rank 0's final-state checksum. */
    public long finalStateCrc()
    {
        return finalState().crc();
    }

    /** @return how the run ended, as the console and the report show it: {@link #finalStateOf} its ranks. */
    public FinalState finalState()
    {
        return finalStateOf(ranks);
    }

    /**
     * @param ranks every rank's result, in rank order.
     * @return rank 0's final-state checksum and whether every rank's equals it.
     */
    public static FinalState finalStateOf(final List<RankResult> ranks)
    {
        return FinalState.of(ranks.stream().map(RankResult::finalStateCrc).toList());
    }
}
