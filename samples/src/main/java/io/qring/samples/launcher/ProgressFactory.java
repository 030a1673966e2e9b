package io.qring.samples.launcher;

/** Starts the progress display of each run of a launch. */
@FunctionalInterface
public interface ProgressFactory
{
    /**
     * @param kind         the run's link kind.
     * @param trackedRanks ranks whose progress reaches the sink (ranks 0 .. trackedRanks − 1).
     * @return the run's sink; the launcher closes it when the run ends.
     */
    ProgressSink start(LinkKind kind, int trackedRanks);
}
