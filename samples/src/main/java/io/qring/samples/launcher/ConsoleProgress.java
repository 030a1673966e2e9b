package io.qring.samples.launcher;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Shows a run's progress aggregated across ranks: the ring has done as many iterations as its slowest
 * rank. On a terminal, a progress bar (on standard error) whose message shows the epochs done, the mean loss
 * of the ranks since the last evaluation and the last test accuracy; elsewhere (logs, CI), one line per epoch.
 */
public final class ConsoleProgress implements ProgressSink, AutoCloseable
{
    private static final int UPDATE_INTERVAL_MS = 200;

    private final PrintWriter out;
    private final String label;
    private final int epochs;
    private final AtomicLongArray completed;
    private final ProgressBar bar;
    private final long startNs = System.nanoTime();
    private double lossSum;
    private long lossCount;
    private String accuracy = "";
    private int epochsDone;

    private ConsoleProgress(final PrintWriter out, final String label, final int epochs, final int trackedRanks, final ProgressBar bar)
    {
        this.out = out;
        this.label = label;
        this.epochs = epochs;
        this.completed = new AtomicLongArray(trackedRanks);
        this.bar = bar;
    }

    /**
     * @param out          where epoch lines go when there is no terminal.
     * @param errorStream  where the bar is drawn on a terminal.
     * @param label        the run's name, e.g. {@code "quantum"}.
     * @param trackedRanks ranks that report to this sink (ranks 0 .. trackedRanks − 1).
     * @param iterations   iterations every rank runs.
     * @param epochs       epochs, for the message.
     * @param interactive  whether to draw a bar (a terminal is attached).
     * @return the started progress display; close it when the run ends.
     */
    public static ConsoleProgress start(
        final PrintWriter out,
        final PrintStream errorStream,
        final String label,
        final int trackedRanks,
        final long iterations,
        final int epochs,
        final boolean interactive)
    {
        final ProgressBar bar = interactive ? new ProgressBarBuilder()
            .setTaskName(String.format(Locale.ROOT, "%-9s", label))
            .setInitialMax(iterations)
            .setStyle(ProgressBarStyle.ASCII)
            .setUpdateIntervalMillis(UPDATE_INTERVAL_MS)
            .setConsumer(new ConsoleProgressBarConsumer(errorStream))
            .setUnit(" it", 1)
            .continuousUpdate()
            .build() : null;
        return new ConsoleProgress(out, label, epochs, trackedRanks, bar);
    }

    @Override
    public void iterationDone(final int rank, final long iteration, final double loss)
    {
        if (rank >= completed.length())
        {
            return;
        }
        completed.accumulateAndGet(rank, iteration + 1, Math::max);
        synchronized (this)
        {
            if (Double.isFinite(loss))
            {
                lossSum += loss;
                lossCount++;
            }
        }
        if (null != bar)
        {
            long ring = Long.MAX_VALUE;
            for (int r = 0; r < completed.length(); r++)
            {
                ring = Math.min(ring, completed.get(r));
            }
            bar.stepTo(ring);
            bar.setExtraMessage(message());
        }
    }

    @Override
    public synchronized void evaluated(final int epoch, final long iteration, final double testAccuracy)
    {
        accuracy = String.format(Locale.ROOT, "test accuracy %.2f %%", 100.0 * testAccuracy);
        epochsDone = epoch;
        final String line = message();
        lossSum = 0;
        lossCount = 0;
        if (null != bar)
        {
            bar.setExtraMessage(line);
        }
        else
        {
            out.printf(Locale.ROOT, "  %-9s %s  (%.1f s since the run started)%n", label, line, (System.nanoTime() - startNs) / 1e9);
            out.flush();
        }
    }

    /** Completes the bar, if any. */
    @Override
    public void close()
    {
        if (null != bar)
        {
            bar.close();
        }
    }

    private synchronized String message()
    {
        final StringBuilder text = new StringBuilder();
        if (epochsDone > 0)
        {
            text.append(String.format(Locale.ROOT, "epoch %d/%d  ", epochsDone, epochs));
        }
        if (lossCount > 0)
        {
            text.append(String.format(Locale.ROOT, "mean loss %.4f  ", lossSum / lossCount));
        }
        return text.append(accuracy).toString().strip();
    }
}
