package io.qring.samples.report;

import io.qring.channel.ledger.LedgerDeltas;
import io.qring.channel.ledger.LedgerSnapshot;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Collects a {@link RunRecord} from a training loop: feed it the cumulative ledger snapshots of the
 * links after each iteration and it keeps what each iteration added. Methods are synchronized, so
 * listeners on several threads may record into one recorder.
 */
public final class RunRecorder
{
    private final String label;
    private final LedgerDeltas deltas = new LedgerDeltas();
    private final List<IterationRecord> iterations = new ArrayList<>();
    private final List<Evaluation> evaluations = new ArrayList<>();
    private final List<QberEstimate> qberEstimates = new ArrayList<>();
    private final Map<String, Double> modelledOnlineSeconds = new LinkedHashMap<>();
    private FinalState finalState;

    /**
     * @param label run name, e.g. {@code "quantum"}.
     */
    public RunRecorder(final String label)
    {
        this.label = label;
    }

    /**
     * Records one iteration. The first call's deltas are taken from zero, so pairs pre-shared before
     * training are counted in the first iteration.
     *
     * @param iteration          iteration number, greater than the previous one.
     * @param loss               training loss of the iteration.
     * @param seconds            wall time of the iteration on its slowest rank; NaN when not measured.
     * @param cumulativeSnapshots the cumulative snapshot of every link after the iteration.
     */
    public synchronized void iteration(final long iteration, final double loss, final double seconds,
        final Collection<LedgerSnapshot> cumulativeSnapshots)
    {
        if (!iterations.isEmpty() && iteration <= iterations.get(iterations.size() - 1).iteration())
        {
            throw new IllegalArgumentException("iterations must increase: " + iteration + " after " +
                iterations.get(iterations.size() - 1).iteration());
        }
        iterations.add(new IterationRecord(iteration, loss, seconds, deltas.next(cumulativeSnapshots)));
    }

    /**
     * Records an evaluation; the run record keeps no epoch time (its {@link Evaluation#epochSeconds()} is NaN).
     *
     * @param iteration    iteration after which the model was evaluated.
     * @param testAccuracy fraction correct on the test set.
     */
    public synchronized void evaluation(final long iteration, final double testAccuracy)
    {
        evaluations.add(new Evaluation(iteration, testAccuracy, Double.NaN));
    }

    /**
     * @param estimate one verification round's result.
     */
    public synchronized void qber(final QberEstimate estimate)
    {
        qberEstimates.add(estimate);
    }

    /**
     * @param link    link name (or {@value RunRecord#RING}).
     * @param seconds modelled online time of the link over the run.
     */
    public synchronized void modelledOnlineSeconds(final String link, final double seconds)
    {
        modelledOnlineSeconds.put(link, seconds);
    }

    /**
     * @param state how the run ended; not recorded by default.
     */
    public synchronized void finalState(final FinalState state)
    {
        this.finalState = state;
    }

    /**
     * @param wallSeconds wall-clock time of the run.
     * @return the record of everything recorded so far.
     */
    public synchronized RunRecord finish(final double wallSeconds)
    {
        return new RunRecord(label, iterations, evaluations, qberEstimates, wallSeconds, modelledOnlineSeconds,
            Optional.ofNullable(finalState));
    }
}
