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

    /**
     * Runs the job, closes the ring, then takes the rank's final ledgers from the closed ring (for ranks in
     * separate processes, where no one sees every rank finish). Closing first lets a quantum sender finish
     * the repairs its next rank may still ask for after this rank's last collective (close waits until
     * every frame is acknowledged), so the result's last ledgers count them.
     *
     * @param ring  this rank's connected all-reduce; closed on return, also when the job fails.
     * @param hooks where to report progress and which QBER log the rank's links feed.
     * @return what the rank recorded, its last iteration's ledgers taken once the ring closed.
     * @throws Exception on failure of the job.
     */
    default RankResult runThenClose(final RingAllReduce ring, final RankHooks hooks) throws Exception
    {
        final RankResult result;
        try (ring)
        {
            result = run(ring, hooks);
        }
        return result.withFinalLedgers(ring.linkLedgers());
    }
}
