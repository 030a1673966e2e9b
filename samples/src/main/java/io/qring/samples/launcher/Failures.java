package io.qring.samples.launcher;

import io.qring.allreduce.link.PeerFailedException;

import java.util.List;
import java.util.concurrent.TimeoutException;

/** Picks and words the failure to show when ranks of a run fail. */
final class Failures
{
    private Failures()
    {
    }

    /**
     * When one rank fails, its neighbours fail next because it is gone; the first failure is the one
     * that is not such a consequence.
     *
     * @param failures the failures of the ranks that failed, in rank order (nulls skipped).
     * @return the index of the failure to report.
     */
    static int primary(final List<Throwable> failures)
    {
        int first = -1;
        for (int i = 0; i < failures.size(); i++)
        {
            final Throwable failure = failures.get(i);
            if (null == failure)
            {
                continue;
            }
            if (first < 0)
            {
                first = i;
            }
            if (!isConsequence(failure))
            {
                return i;
            }
        }
        return first;
    }

    /**
     * @param failure what a rank threw.
     * @return one line saying what went wrong.
     */
    static String describe(final Throwable failure)
    {
        if (failure instanceof TimeoutException)
        {
            return "did not finish in time";
        }
        final String message = RunFailedException.oneLine(failure.getMessage());
        if (message.isEmpty())
        {
            return failure.getClass().getSimpleName();
        }
        // Our own exceptions say what happened; for the JDK's and other libraries' the type is part of the story.
        return failure.getClass().getName().startsWith("io.qring.") ? message : failure.getClass().getSimpleName() + ": " + message;
    }

    /**
     * @param failure what a rank threw.
     * @return whether it only reports that another rank failed first.
     */
    static boolean isConsequence(final Throwable failure)
    {
        for (Throwable t = failure; null != t; t = t.getCause())
        {
            if (t instanceof PeerFailedException)
            {
                return true;
            }
        }
        return false;
    }
}
