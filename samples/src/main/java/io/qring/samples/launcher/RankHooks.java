package io.qring.samples.launcher;

/**
 * What a launcher hands a {@link RankJob} besides the ring.
 *
 * @param progress told after every iteration and evaluation.
 * @param qberLog  the log the rank's quantum links report verification rounds to; the job tells it the
 *                 current iteration and takes the rank's estimates from it.
 */
public record RankHooks(ProgressSink progress, QberLog qberLog)
{
}
