package io.qring.dl4j.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Runs one task per rank, each on its own thread, and collects what every rank returned or threw. */
public final class Ranks
{
    /** Work of one rank. */
    @FunctionalInterface
    public interface RankTask<T>
    {
        /**
         * @param rank the rank this thread plays.
         * @return the rank's result.
         * @throws Exception on failure.
         */
        T run(int rank) throws Exception;
    }

    /**
     * What one rank ended with.
     *
     * @param value   its result, when it succeeded.
     * @param failure what it threw, or {@code null}.
     */
    public record Outcome<T>(T value, Throwable failure)
    {
    }

    private Ranks()
    {
    }

    /**
     * Runs every rank and fails on the first rank that failed.
     *
     * @param worldSize number of ranks.
     * @param deadline  longest the whole run may take.
     * @param task      what each rank does.
     * @return results indexed by rank.
     */
    public static <T> List<T> run(final int worldSize, final Duration deadline, final RankTask<T> task)
    {
        final List<T> values = new ArrayList<>();
        for (final Outcome<T> outcome : runCollecting(worldSize, deadline, task))
        {
            if (outcome.failure() != null)
            {
                throw new AssertionError("a rank failed", outcome.failure());
            }
            values.add(outcome.value());
        }
        return values;
    }

    /**
     * Runs every rank and reports each rank's outcome, failures included.
     *
     * @param worldSize number of ranks.
     * @param deadline  longest the whole run may take; ranks still running then fail the test.
     * @param task      what each rank does.
     * @return outcomes indexed by rank.
     */
    public static <T> List<Outcome<T>> runCollecting(final int worldSize, final Duration deadline, final RankTask<T> task)
    {
        final ExecutorService pool = Executors.newFixedThreadPool(worldSize, r ->
        {
            final Thread thread = new Thread(r, "rank-thread");
            thread.setDaemon(true);
            return thread;
        });
        try
        {
            final List<Future<T>> futures = new ArrayList<>();
            for (int r = 0; r < worldSize; r++)
            {
                final int rank = r;
                futures.add(pool.submit(() -> task.run(rank)));
            }
            final long end = System.nanoTime() + deadline.toNanos();
            final List<Outcome<T>> outcomes = new ArrayList<>();
            for (final Future<T> future : futures)
            {
                outcomes.add(await(future, end));
            }
            return outcomes;
        }
        finally
        {
            pool.shutdownNow();
        }
    }

    private static <T> Outcome<T> await(final Future<T> future, final long end)
    {
        try
        {
            return new Outcome<>(future.get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS), null);
        }
        catch (final ExecutionException ex)
        {
            return new Outcome<>(null, ex.getCause());
        }
        catch (final TimeoutException ex)
        {
            throw new AssertionError("ranks did not finish before the deadline", ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", ex);
        }
    }
}
