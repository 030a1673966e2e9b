package io.qring.benchmarks;

import io.qring.channel.ledger.LedgerSnapshot;
import io.qring.samples.launcher.RankResult;
import io.qring.samples.report.Evaluation;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A ring run's epoch times are rank 0's wall times of its epochs, as DL4J's are the wall times of its epochs. */
class TrainingCurveTest
{
    private static final List<Double> FIT_SECONDS = List.of(0.1, 0.1, 0.2, 0.2);

    @Test
    void shouldTimeARingEpochAsRankZerosWallTimeNotItsFitCalls()
    {
        final TrainingCurve curve = TrainingCurve.ofRank(rank0(List.of(new Evaluation(1, 0.5, 0.75), new Evaluation(3, 0.9, 1.5))));

        assertEquals(List.of(0.75, 1.5), curve.epochSeconds(), "the epochs' wall times, not the fit sums 0.2 and 0.4");
        assertEquals(List.of(0.5, 0.9), curve.accuracies());
        assertEquals(2.25, curve.secondsTo(0.9).orElseThrow(), 1e-12);
    }

    @Test
    void shouldRefuseAnEvaluationWithoutAnEpochTime()
    {
        final RankResult untimed = rank0(List.of(new Evaluation(1, 0.5, 0.75), new Evaluation(3, 0.9, Double.NaN)));

        assertThrows(IllegalArgumentException.class, () -> TrainingCurve.ofRank(untimed));
    }

    private static RankResult rank0(final List<Evaluation> evaluations)
    {
        final List<List<LedgerSnapshot>> ledgers = Collections.nCopies(FIT_SECONDS.size(), List.of());
        return new RankResult(0, List.of(2.0, 1.5, 1.0, 0.5), FIT_SECONDS, ledgers, evaluations, List.of(), 0L, 3.0);
    }
}
