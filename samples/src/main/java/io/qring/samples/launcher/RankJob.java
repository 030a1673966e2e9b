package io.qring.samples.launcher;

import io.qring.allreduce.RingAllReduce;

/**
 * The work one rank does on a connected ring. Every rank of the ring runs the same job with the same
 * settings; the calls it makes on the ring are collectives.
 */
@FunctionalInterface
public interface RankJob
{
    /**
     * @param ring  this rank's connected all-reduce (not closed by the job).
     * @param hooks where to report progress and which QBER log the rank's links feed.
     * @return what the rank recorded.
     * @throws Exception on failure; the launcher reports it and stops the run.
     */
    RankResult run(RingAllReduce ring, RankHooks hooks) throws Exception;
}
