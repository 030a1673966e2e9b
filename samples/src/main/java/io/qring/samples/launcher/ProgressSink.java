package io.qring.samples.launcher;

/**
 * Told as a job advances, from the threads of every rank it can see; closed when the run ends.
 * Implementations are thread-safe.
 */
public interface ProgressSink extends AutoCloseable
{
    /** A sink that ignores everything. */
    ProgressSink NONE = new ProgressSink()
    {
        @Override
        public void iterationDone(final int rank, final long iteration, final double loss)
        {
        }

        @Override
        public void evaluated(final int epoch, final long iteration, final double testAccuracy)
        {
        }
    };

    /**
     * @param rank      the rank that finished an iteration.
     * @param iteration the iteration it finished (0-based).
     * @param loss      its training loss, or NaN when the job does not train.
     */
    void iterationDone(int rank, long iteration, double loss);

    /**
     * @param epoch        the epoch that ended (1-based).
     * @param iteration    the last iteration of that epoch.
     * @param testAccuracy the fraction of test examples classified correctly.
     */
    void evaluated(int epoch, long iteration, double testAccuracy);

    /** Ends the display of the run; nothing by default. */
    @Override
    default void close()
    {
    }
}
