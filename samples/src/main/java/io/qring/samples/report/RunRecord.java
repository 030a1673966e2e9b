package io.qring.samples.report;

import io.qring.channel.ledger.LedgerSnapshot;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Everything recorded about one training run, e.g. the quantum ring or the classical ring.
 *
 * @param label                 run name shown in charts and tables, e.g. {@code "quantum"}.
 * @param iterations            per-iteration loss and per-link ledger deltas, in iteration order.
 * @param evaluations           test accuracy measurements, in iteration order.
 * @param qberEstimates         verification rounds on the run's links.
 * @param wallSeconds           wall-clock time of the run.
 * @param modelledOnlineSeconds modelled online time per link name (and optionally {@value #RING}) on the
 *                              configured link-rate model; empty when no model was configured.
 * @param finalState            the run's final-state checksum and whether its ranks agree; empty when not recorded.
 */
public record RunRecord(String label, List<IterationRecord> iterations, List<Evaluation> evaluations,
    List<QberEstimate> qberEstimates, double wallSeconds, Map<String, Double> modelledOnlineSeconds,
    Optional<FinalState> finalState)
{
    /** Name of the merged view of all links of a run. */
    public static final String RING = "ring";

    /**
     * Copies the collections and validates the label.
     *
     * @param label                 run name shown in charts and tables, e.g. {@code "quantum"}.
     * @param iterations            per-iteration loss and per-link ledger deltas, in iteration order.
     * @param evaluations           test accuracy measurements, in iteration order.
     * @param qberEstimates         verification rounds on the run's links.
     * @param wallSeconds           wall-clock time of the run.
     * @param modelledOnlineSeconds modelled online time per link name (and optionally {@value #RING}) on the
     *                              configured link-rate model; empty when no model was configured.
     * @param finalState            the run's final-state checksum and whether its ranks agree; empty when not recorded.
     * @throws IllegalArgumentException if the label is blank.
     */
    public RunRecord
    {
        if (label == null || label.isBlank())
        {
            throw new IllegalArgumentException("a run needs a label");
        }
        iterations = List.copyOf(iterations);
        evaluations = List.copyOf(evaluations);
        qberEstimates = List.copyOf(qberEstimates);
        modelledOnlineSeconds = Collections.unmodifiableMap(new LinkedHashMap<>(modelledOnlineSeconds));
        Objects.requireNonNull(finalState, "finalState");
    }

    /** @return the links seen in the run, in order of first appearance. */
    public List<String> links()
    {
        final List<String> links = new ArrayList<>();
        for (final IterationRecord iteration : iterations)
        {
            for (final LedgerSnapshot delta : iteration.linkDeltas())
            {
                if (!links.contains(delta.link()))
                {
                    links.add(delta.link());
                }
            }
        }
        return links;
    }

    /** @return per link, the sum of its deltas over the run, in order of first appearance. */
    public Map<String, LedgerSnapshot> linkTotals()
    {
        final Map<String, List<LedgerSnapshot>> byLink = new LinkedHashMap<>();
        for (final IterationRecord iteration : iterations)
        {
            for (final LedgerSnapshot delta : iteration.linkDeltas())
            {
                byLink.computeIfAbsent(delta.link(), link -> new ArrayList<>()).add(delta);
            }
        }
        final Map<String, LedgerSnapshot> totals = new LinkedHashMap<>();
        byLink.forEach((link, deltas) -> totals.put(link, LedgerSnapshot.merge(link, deltas)));
        return totals;
    }

    /** @return all links of the run merged, named {@value #RING}. */
    public LedgerSnapshot ringTotal()
    {
        return LedgerSnapshot.merge(RING, linkTotals().values());
    }

    /** @return the last recorded test accuracy, if any. */
    public OptionalDouble finalTestAccuracy()
    {
        return evaluations.isEmpty() ? OptionalDouble.empty() :
            OptionalDouble.of(evaluations.get(evaluations.size() - 1).testAccuracy());
    }

    /**
     * @return the loss of the last iteration; none if there are no iterations or the job computes no
     *         loss (every iteration's loss NaN, as for a bare all-reduce). A training that diverges
     *         still reports its NaN.
     */
    public OptionalDouble finalLoss()
    {
        if (iterations.stream().allMatch(iteration -> Double.isNaN(iteration.loss())))
        {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(iterations.get(iterations.size() - 1).loss());
    }
}
