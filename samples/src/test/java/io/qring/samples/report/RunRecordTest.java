package io.qring.samples.report;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The final loss of a run: the last iteration's, NaN included for a diverged training, none for a job without loss. */
class RunRecordTest
{
    @Test
    void shouldTakeTheLastIterationsLossAsFinalEvenWhenTrainingDiverged()
    {
        assertEquals(OptionalDouble.of(0.25), run(0.5, 0.25).finalLoss());
        assertTrue(Double.isNaN(run(0.5, Double.NaN).finalLoss().orElseThrow()), "a diverged training shows its NaN");
    }

    @Test
    void shouldGiveNoFinalLossToAJobWithoutLossOrWithoutIterations()
    {
        assertEquals(OptionalDouble.empty(), run(Double.NaN, Double.NaN).finalLoss());
        assertEquals(OptionalDouble.empty(), run().finalLoss());
    }

    private static RunRecord run(final double... losses)
    {
        final IterationRecord[] iterations = new IterationRecord[losses.length];
        for (int i = 0; i < losses.length; i++)
        {
            iterations[i] = new IterationRecord(i, losses[i], Double.NaN, List.of());
        }
        return new RunRecord("quantum", List.of(iterations), List.of(), List.of(), 1.0, Map.of(), Optional.empty());
    }
}
