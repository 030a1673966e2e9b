package io.qring.samples.launcher;

import io.qring.channel.verify.VerificationResult;
import io.qring.samples.report.QberEstimate;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BiConsumer;

/**
 * Collects the verification rounds of the quantum links of the ranks of one process, each stamped with
 * the training iteration its receiving rank was in. Ranks tell the log their current iteration; the links
 * report through {@link #listener()} (pass it to {@code QuantumLinkSettings.Builder.verificationListener}).
 * Thread-safe.
 */
public final class QberLog
{
    private static final String LINK_ARROW = "->";

    private final AtomicLongArray currentIteration;
    private final List<List<QberEstimate>> byReceivingRank = new ArrayList<>();

    /**
     * @param worldSize number of ranks of the ring.
     */
    public QberLog(final int worldSize)
    {
        currentIteration = new AtomicLongArray(worldSize);
        for (int r = 0; r < worldSize; r++)
        {
            byReceivingRank.add(new ArrayList<>());
        }
    }

    /**
     * @param rank      a rank of this process.
     * @param iteration the iteration it is about to run.
     */
    public void iteration(final int rank, final long iteration)
    {
        currentIteration.set(rank, iteration);
    }

    /** @return the verification listener for the quantum link settings (link name, result). */
    public BiConsumer<String, VerificationResult> listener()
    {
        return this::record;
    }

    /**
     * @param rank a rank of this process.
     * @return the estimates of the links that rank receives on, in the order they were made.
     */
    public List<QberEstimate> estimates(final int rank)
    {
        final List<QberEstimate> estimates = byReceivingRank.get(rank);
        synchronized (estimates)
        {
            return List.copyOf(estimates);
        }
    }

    private void record(final String link, final VerificationResult result)
    {
        final int receivingRank = receivingRank(link);
        final QberEstimate estimate = new QberEstimate(link, result.round(), currentIteration.get(receivingRank),
            result.sampledPairs(), result.qber(), Math.min(1.0, result.upperBound()), result.alarm());
        final List<QberEstimate> estimates = byReceivingRank.get(receivingRank);
        synchronized (estimates)
        {
            estimates.add(estimate);
        }
    }

    /** Link names are {@code "from->to"} ({@code LinkLedger.linkName}); the receiving end reports verification results. */
    private static int receivingRank(final String link)
    {
        return Integer.parseInt(link.substring(link.lastIndexOf(LINK_ARROW) + LINK_ARROW.length()).trim());
    }
}
