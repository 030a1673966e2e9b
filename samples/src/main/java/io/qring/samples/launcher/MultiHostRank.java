package io.qring.samples.launcher;

import io.qring.allreduce.Ring;
import io.qring.allreduce.RingAllReduce;
import io.qring.allreduce.RingSettingsMismatchException;
import io.qring.allreduce.config.RingContext;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One rank of a ring spread over several hosts: every host runs the same command with its own rank and
 * the same endpoint list and shared secret. Each run connects over UDP, runs the job and closes the ring,
 * its last ledgers taken after the close as in {@link ChildRank} ({@link RankJob#runThenClose}), so late
 * repairs are counted. The ranks then connect a plain ring on the same endpoints
 * ({@link RingPlan#resultsContext}) and gather every rank's result over it so that rank 0 can assemble the
 * run: the results travel on no link the run counts. Rank 0 shows the progress of its own iterations.
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
            final long start = System.nanoTime();
            final RankResult own = runJob(plan, run, rank, peers, secret, job, progress);
            final double wallSeconds = (System.nanoTime() - start) / 1e9;
            final List<RankResult> results = gatherResults(plan, run, rank, peers, secret, own);
            if (0 == rank)
            {
                outcomes.add(new RunOutcome(kind, RunAssembler.assemble(kind, results, plan, wallSeconds), results));
            }
        }
        return 0 == rank ? Optional.of(outcomes) : Optional.empty();
    }

    private static RankResult runJob(
        final RingPlan plan, final int run, final int rank, final List<String> peers, final byte[] secret, final RankJob job,
        final ProgressFactory progress)
    {
        final LinkKind kind = plan.links().get(run);
        final QberLog qberLog = new QberLog(plan.worldSize());
        final RingAllReduce ring = connect(plan.rankContext(kind, run, rank, peers, secret, qberLog), "the " + kind.label() + " ring",
            rank, peers);
        try (ring; ProgressSink sink = 0 == rank ? progress.start(kind, 1) : ProgressSink.NONE)
        {
            return job.runThenClose(ring, new RankHooks(sink, qberLog));
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

    /** @return on rank 0, every rank's result in rank order; on other ranks, an empty list. */
    private static List<RankResult> gatherResults(
        final RingPlan plan, final int run, final int rank, final List<String> peers, final byte[] secret, final RankResult own)
    {
        final String label = plan.links().get(run).label();
        final RingAllReduce ring = connect(plan.resultsContext(run, rank, peers, secret),
            "the ring that collects the results of the " + label + " run", rank, peers);
        try (ring)
        {
            final byte[][] gathered = ring.allGather(LauncherJson.write(own).getBytes(StandardCharsets.UTF_8));
            final List<RankResult> results = new ArrayList<>(gathered.length);
            if (0 == rank)
            {
                for (final byte[] encoded : gathered)
                {
                    results.add(LauncherJson.read(new String(encoded, StandardCharsets.UTF_8), RankResult.class));
                }
            }
            return results;
        }
        catch (final RuntimeException ex)
        {
            throw new RunFailedException("the results of the " + label + " run could not be collected on rank " + rank + ": " +
                Failures.describe(ex), ex);
        }
    }

    private static RingAllReduce connect(final RingContext context, final String ringName, final int rank, final List<String> peers)
    {
        try
        {
            return Ring.connect(context);
        }
        catch (final RingSettingsMismatchException ex)
        {
            throw new RunFailedException("rank " + rank + " could not join " + ringName + ": " + ex.getMessage(), ex);
        }
        catch (final RuntimeException ex)
        {
            throw new RunFailedException("rank " + rank + " could not join " + ringName + " " + peers + ": " + Failures.describe(ex) +
                " (start every rank with the same --peers and check that their UDP ports are reachable)", ex);
        }
    }
}
