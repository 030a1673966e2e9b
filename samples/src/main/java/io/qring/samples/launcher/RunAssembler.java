package io.qring.samples.launcher;

import io.qring.allreduce.config.LinkRateModel;
import io.qring.channel.ledger.LedgerSnapshot;
import io.qring.samples.report.Evaluation;
import io.qring.channel.ledger.LedgerDeltas;
import io.qring.samples.report.QberEstimate;
import io.qring.samples.report.RunRecord;
import io.qring.samples.report.RunRecorder;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns the results of every rank of one run into the run's {@link RunRecord}:
 * <ul>
 *   <li>loss of an iteration: the mean over ranks of their minibatch losses, summed in rank order;</li>
 *   <li>time of an iteration: the slowest rank's (the ranks of a ring wait for each other);</li>
 *   <li>final state: rank 0's checksum and whether every rank's equals it ({@link RunOutcome#finalState()});</li>
 *   <li>ledger of a directed link: the snapshots of every rank that carry its name, merged (a quantum link's
 *       sending end counts payload, qubits and EPR pairs, its receiving end the classical control bits);</li>
 *   <li>evaluations: rank 0's; QBER estimates: every rank's, by iteration;</li>
 *   <li>modelled online time: per iteration, each link's time on the plan's {@link LinkRateModel} (quantum or
 *       classical formula by the run's link kind, one hop of latency per message the ring engine sent over
 *       the link); a link's total is the sum over iterations, the ring's the sum of each iteration's slowest link.</li>
 * </ul>
 */
public final class RunAssembler
{
    private RunAssembler()
    {
    }

    /**
     * @param kind        link kind of the run (its label names the run).
     * @param results     one result per rank of the ring, any order.
     * @param plan        the plan the run followed.
     * @param wallSeconds wall time of the run, connecting included.
     * @return the run's record.
     * @throws IllegalArgumentException if the results are not exactly one per rank.
     */
    public static RunRecord assemble(final LinkKind kind, final List<RankResult> results, final RingPlan plan, final double wallSeconds)
    {
        final List<RankResult> ranks = new ArrayList<>(results);
        ranks.sort(Comparator.comparingInt(RankResult::rank));
        for (int r = 0; r < ranks.size(); r++)
        {
            if (ranks.get(r).rank() != r)
            {
                throw new IllegalArgumentException("expected one result per rank 0.." + (plan.worldSize() - 1) + ", got ranks " +
                    ranks.stream().map(RankResult::rank).toList());
            }
        }
        if (ranks.size() != plan.worldSize())
        {
            throw new IllegalArgumentException("expected " + plan.worldSize() + " rank results, got " + ranks.size());
        }
        final int iterations = ranks.stream().mapToInt(RankResult::iterations).min().orElse(0);
        final RunRecorder recorder = new RunRecorder(kind.label());
        final ModelledTime modelled = new ModelledTime(kind, plan.rateModel());
        for (int i = 0; i < iterations; i++)
        {
            double lossSum = 0;
            double slowest = 0;
            final List<LedgerSnapshot> ofAllRanks = new ArrayList<>();
            for (final RankResult rank : ranks)
            {
                lossSum += rank.losses().get(i);
                slowest = Math.max(slowest, rank.iterationSeconds().get(i));
                ofAllRanks.addAll(rank.ledgers().get(i));
            }
            final List<LedgerSnapshot> cumulative = LedgerSnapshot.mergeByLink(ofAllRanks);
            recorder.iteration(i, lossSum / ranks.size(), slowest, cumulative);
            modelled.add(cumulative);
        }
        for (final RankResult rank : ranks)
        {
            for (final Evaluation evaluation : rank.evaluations())
            {
                recorder.evaluation(evaluation.iteration(), evaluation.testAccuracy());
            }
        }
        ranks.stream()
            .flatMap(rank -> rank.qberEstimates().stream())
            .sorted(Comparator.comparingLong(QberEstimate::iteration).thenComparing(QberEstimate::link)
                .thenComparingLong(QberEstimate::round))
            .forEach(recorder::qber);
        modelled.perLinkSeconds().forEach(recorder::modelledOnlineSeconds);
        recorder.modelledOnlineSeconds(RunRecord.RING, modelled.ringSeconds());
        recorder.finalState(RunOutcome.finalStateOf(ranks));
        return recorder.finish(wallSeconds);
    }

    /** Accumulates the modelled online time from successive cumulative snapshots. */
    private static final class ModelledTime
    {
        private final LinkKind kind;
        private final LinkRateModel model;
        private final LedgerDeltas ledgerDeltas = new LedgerDeltas();
        private final Map<String, Double> perLink = new LinkedHashMap<>();
        private double ring;

        ModelledTime(final LinkKind kind, final LinkRateModel model)
        {
            this.kind = kind;
            this.model = model;
        }

        void add(final List<LedgerSnapshot> cumulative)
        {
            final List<LedgerSnapshot> deltas = ledgerDeltas.next(cumulative);
            for (final LedgerSnapshot delta : deltas)
            {
                perLink.merge(delta.link(), time(delta), Double::sum);
            }
            ring += (LinkKind.QUANTUM == kind ? model.quantumRing(deltas) : model.classicalRing(deltas)).totalSeconds();
        }

        Map<String, Double> perLinkSeconds()
        {
            return perLink;
        }

        double ringSeconds()
        {
            return ring;
        }

        private double time(final LedgerSnapshot delta)
        {
            return (LinkKind.QUANTUM == kind ? model.quantum(delta) : model.classical(delta)).totalSeconds();
        }
    }
}
