package io.qring.samples.launcher;

import io.qring.allreduce.LocalRing;
import io.qring.samples.report.RunRecord;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs every rank as a thread of this JVM ({@link LocalRing}: one shared embedded Aeron media driver for
 * IPC, or UDP on loopback), one run per link kind of the plan, one after the other. Cheapest way to run
 * a ring on one machine: no extra JVM start-up, ranks share the loaded data and ND4J.
 */
public final class ThreadLauncher
{
    /** Outer bound of one run; ranks fail much earlier on their own connect and operation deadlines. */
    private static final long MAX_RUN_NS = TimeUnit.HOURS.toNanos(24);

    private ThreadLauncher()
    {
    }

    /**
     * @param plan     the rings to run.
     * @param job      what every rank does.
     * @param progress starts each run's progress display.
     * @return one outcome per link kind, in the plan's order.
     * @throws RunFailedException naming the run, the rank and the cause when a run fails.
     */
    public static List<RunOutcome> run(final RingPlan plan, final RankJob job, final ProgressFactory progress)
    {
        final List<RunOutcome> outcomes = new ArrayList<>();
        for (final LinkKind kind : plan.links())
        {
            outcomes.add(runOne(plan, kind, job, progress));
        }
        return outcomes;
    }

    private static RunOutcome runOne(final RingPlan plan, final LinkKind kind, final RankJob job, final ProgressFactory progress)
    {
        final QberLog qberLog = new QberLog(plan.worldSize());
        final long start = System.nanoTime();
        final LocalRing ring;
        try
        {
            ring = LocalRing.start(plan.template(kind, qberLog));
        }
        catch (final RuntimeException ex)
        {
            throw new RunFailedException("could not start the " + kind.label() + " ring: " + Failures.describe(ex), ex);
        }
        try (ring; ProgressSink sink = progress.start(kind, plan.worldSize()))
        {
            final RankHooks hooks = new RankHooks(sink, qberLog);
            final List<LocalRing.Outcome<RankResult>> outcomes = ring.runEach(rank -> job.run(rank, hooks), MAX_RUN_NS);
            final List<Throwable> failures = outcomes.stream().map(LocalRing.Outcome::failure).toList();
            final int failed = Failures.primary(failures);
            if (failed >= 0)
            {
                throw new RunFailedException("the " + kind.label() + " run failed on rank " + outcomes.get(failed).rank() + ": " +
                    Failures.describe(failures.get(failed)), failures.get(failed));
            }
            final List<RankResult> results = new ArrayList<>();
            for (final LocalRing.Outcome<RankResult> outcome : outcomes)
            {
                results.add(outcome.value().withFinalLedgers(ring.rank(outcome.rank()).linkLedgers()));
            }
            final RunRecord record = RunAssembler.assemble(kind, results, plan, (System.nanoTime() - start) / 1e9);
            return new RunOutcome(kind, record, results);
        }
    }
}
