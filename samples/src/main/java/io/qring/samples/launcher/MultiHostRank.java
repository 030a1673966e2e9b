package io.qring.samples.launcher;

import io.qring.allreduce.Ring;
import io.qring.allreduce.RingAllReduce;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One rank of a ring spread over several hosts: every host runs the same command with its own rank and
 * the same endpoint list and shared secret. Each run connects over UDP, runs the job, then gathers every
 * rank's result around the ring so that rank 0 can assemble the run (the gather travels after the last
 * recorded snapshot, so it is not counted). Rank 0 shows the progress of its own iterations.
 */
public final class MultiHostRank
{
    private MultiHostRank()
    {
    }

    /**
     * @param plan     the rings to run (equal on every host).
     * @param rank     this host's rank.
     * @param peers    every rank's UDP endpoint {@code host:port}, in rank order (this rank binds its own).
     * @param secret   the ring's shared secret.
     * @param job      what this rank does in each run.
     * @param progress starts rank 0's progress display of each run.
     * @return on rank 0, one outcome per link kind in the plan's order; on other ranks, empty.
     * @throws RunFailedException naming the run and the cause when this rank cannot connect or a run fails.
     */
    public static Optional<List<RunOutcome>> run(
        final RingPlan plan, final int rank, final List<String> peers, final byte[] secret, final RankJob job,
        final ProgressFactory progress)
    {
        final List<RunOutcome> outcomes = new ArrayList<>();
        for (int run = 0; run < plan.links().size(); run++)
        {
            final LinkKind kind = plan.links().get(run);
            final QberLog qberLog = new QberLog(plan.worldSize());
            final long start = System.nanoTime();
            final RingAllReduce ring;
            try
            {
                ring = Ring.connect(plan.rankContext(kind, run, rank, peers, secret, qberLog));
            }
            catch (final RuntimeException ex)
            {
                throw new RunFailedException("rank " + rank + " could not join the " + kind.label() + " ring " + peers + ": " +
                    Failures.describe(ex) + " (start every rank with the same --peers and check that their UDP ports are reachable)", ex);
            }
            try (ring; ProgressSink sink = 0 == rank ? progress.start(kind, 1) : ProgressSink.NONE)
            {
                final RankResult own = job.run(ring, new RankHooks(sink, qberLog));
                final byte[][] gathered = ring.allGather(LauncherJson.write(own).getBytes(StandardCharsets.UTF_8));
                if (0 == rank)
                {
                    final List<RankResult> results = new ArrayList<>(gathered.length);
                    for (final byte[] encoded : gathered)
                    {
                        results.add(LauncherJson.read(new String(encoded, StandardCharsets.UTF_8), RankResult.class));
                    }
                    final double wallSeconds = (System.nanoTime() - start) / 1e9;
                    outcomes.add(new RunOutcome(kind, RunAssembler.assemble(kind, results, plan, wallSeconds), results));
                }
            }
            catch (final RunFailedException ex)
            {
                throw ex;
            }
            catch (final Exception ex)
            {
                throw new RunFailedException("the " + kind.label() + " run failed on rank " + rank + ": " + Failures.describe(ex), ex);
            }
        }
        return 0 == rank ? Optional.of(outcomes) : Optional.empty();
    }
}
