package io.qring.dl4j;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Meeting point of the training threads of one JVM (ParallelWrapper workers, or the single training
 * thread) for one exchange: every party deposits its contribution, the last to arrive combines them and
 * talks to the ring once, then every party takes its share of the result. Rounds never overlap: a round
 * starts only after every party of the previous one has taken its share, so the combining party may
 * reuse its buffers. Waiting for the other parties has a deadline; the combining step itself runs under the
 * lock and is bounded by its own deadlines (the ring's), and a result that arrives late still counts. Once a
 * party times out, or {@link #abandon abandons} because it cannot contribute, the rendezvous stays broken:
 * parties waiting then, and every later round, fail with the same cause.
 *
 * @param <T> what each party contributes.
 * @param <R> what the combining step returns to every party.
 */
final class WorkerRendezvous<T, R>
{
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final long timeoutNs;
    private final String what;
    private final List<T> contributions = new ArrayList<>();

    private int parties;
    private int sharing;
    private long generation;
    private R result;
    private Throwable failure;
    private Throwable broken;

    /**
     * @param timeoutNs longest a party waits for its round to complete.
     * @param what      name of the exchange, used in error messages.
     */
    WorkerRendezvous(final long timeoutNs, final String what)
    {
        this.timeoutNs = timeoutNs;
        this.what = what;
    }

    /**
     * Takes part in one round.
     *
     * @param roundParties how many parties this round has (the same value from every party of the round).
     * @param contribution this party's contribution.
     * @param combine      run once per round, by the last party to arrive, on all contributions in
     *                     arrival order; its result, or whatever it throws (an {@link Error} included),
     *                     goes to every party, and the next round may start.
     * @param share        run by each party, outside the lock, with its own contribution and the result,
     *                     before the next round may start.
     */
    void round(
        final int roundParties,
        final T contribution,
        final Function<List<T>, R> combine,
        final BiConsumer<T, R> share)
    {
        final long deadline = System.nanoTime() + timeoutNs;
        final R outcome;
        lock.lock();
        try
        {
            awaitPreviousRound(deadline);
            if (contributions.isEmpty())
            {
                parties = roundParties;
                failure = null;
                result = null;
            }
            else if (parties != roundParties)
            {
                throw breakWith(new IllegalStateException(what + ": parties disagree on the number of workers in the round (" +
                    parties + " vs " + roundParties + ")"));
            }
            contributions.add(contribution);
            final long myGeneration = generation;
            if (contributions.size() == parties)
            {
                combineAndRelease(combine);
            }
            else
            {
                awaitRelease(myGeneration, deadline);
            }
            if (failure != null)
            {
                sharing--;
                changed.signalAll();
                throw rethrow(failure);
            }
            outcome = result;
        }
        finally
        {
            lock.unlock();
        }
        try
        {
            share.accept(contribution, outcome);
        }
        finally
        {
            lock.lock();
            try
            {
                sharing--;
                changed.signalAll();
            }
            finally
            {
                lock.unlock();
            }
        }
    }

    /**
     * Breaks the rendezvous because the calling party cannot contribute to its round (it failed before
     * {@link #round}): the parties already waiting, and every later round, fail at once with {@code cause}
     * instead of waiting for the deadline.
     *
     * @param cause why the party cannot take part.
     */
    void abandon(final Throwable cause)
    {
        lock.lock();
        try
        {
            markBroken(cause);
        }
        finally
        {
            lock.unlock();
        }
    }

    private void combineAndRelease(final Function<List<T>, R> combine)
    {
        try
        {
            result = combine.apply(List.copyOf(contributions));
        }
        catch (final Throwable ex)
        {
            failure = ex;
        }
        sharing = parties;
        contributions.clear();
        generation++;
        changed.signalAll();
    }

    private static RuntimeException rethrow(final Throwable cause)
    {
        if (cause instanceof RuntimeException runtime)
        {
            return runtime;
        }
        if (cause instanceof Error error)
        {
            throw error;
        }
        return new IllegalStateException(cause);
    }

    private void awaitPreviousRound(final long deadline)
    {
        while (sharing > 0 && broken == null)
        {
            awaitUntil(deadline, "the previous round to finish");
        }
        if (broken != null)
        {
            throw rethrow(broken);
        }
    }

    private void awaitRelease(final long myGeneration, final long deadline)
    {
        while (generation == myGeneration && broken == null)
        {
            awaitUntil(deadline, (parties - contributions.size()) + " more of " + parties + " workers");
        }
        if (generation == myGeneration)
        {
            throw rethrow(broken);
        }
    }

    private void awaitUntil(final long deadline, final String awaited)
    {
        final long remaining = deadline - System.nanoTime();
        if (remaining <= 0)
        {
            throw breakWith(new IllegalStateException(what + ": timed out after " +
                TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms waiting for " + awaited));
        }
        try
        {
            changed.awaitNanos(remaining);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw breakWith(new IllegalStateException(what + ": interrupted while waiting for " + awaited, ex));
        }
    }

    private RuntimeException breakWith(final RuntimeException cause)
    {
        markBroken(cause);
        return rethrow(broken);
    }

    private void markBroken(final Throwable cause)
    {
        if (broken == null)
        {
            broken = cause;
        }
        changed.signalAll();
    }
}
