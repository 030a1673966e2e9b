package io.qring.samples.training;

import io.qring.allreduce.config.LinkRateModel;
import io.qring.allreduce.config.TransportKind;
import io.qring.samples.data.LabelledImages;
import io.qring.samples.data.TrainTestData;
import io.qring.samples.launcher.LinkKind;
import io.qring.samples.launcher.ProgressSink;
import io.qring.samples.launcher.QuantumLinkPlan;
import io.qring.samples.launcher.RankResult;
import io.qring.samples.launcher.RingPlan;
import io.qring.samples.launcher.RunOutcome;
import io.qring.samples.launcher.ThreadLauncher;
import io.qring.samples.report.Evaluation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a training rank records about time, on a tiny made-up data set over a 2-rank classical ring. */
class TrainingJobTest
{
    private static final int RANKS = 2;
    private static final int TRAIN = 64;
    private static final int BATCH = 8;
    private static final int EPOCHS = 2;
    private static final long PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(25);
    private static final long SEED = 11L;

    /**
     * The epoch time rank 0 reports is the wall time of everything its epoch does, not the sum of its
     * {@code fit} calls: a progress sink that pauses after each of rank 0's iterations adds its pauses to
     * the epoch time but not to the iteration times.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldTimeEachEpochAsRankZerosWallTimeIncludingWorkOutsideFit()
    {
        final TrainingJob job = new TrainingJob(data(), new TrainingSettings(ModelKind.MLP, UpdaterKind.NESTEROVS, 0.1,
            ExchangeMode.SYNC, 1, EPOCHS, BATCH, SEED, Duration.ofSeconds(20)));
        final int perEpoch = job.iterations(RANKS) / EPOCHS;

        final RankResult rank0 = ThreadLauncher.run(plan(), job, (kind, ranks) -> new PausingSink()).get(0).ranks().get(0);

        assertEquals(EPOCHS, rank0.evaluations().size());
        for (int epoch = 0; epoch < EPOCHS; epoch++)
        {
            final Evaluation evaluation = rank0.evaluations().get(epoch);
            final double fitSeconds = rank0.iterationSeconds().subList(epoch * perEpoch, (epoch + 1) * perEpoch).stream()
                .mapToDouble(Double::doubleValue).sum();
            final double pauses = perEpoch * PAUSE_NANOS / 1e9;
            assertEquals((epoch + 1L) * perEpoch - 1, evaluation.iteration());
            assertTrue(evaluation.epochSeconds() >= fitSeconds + pauses,
                "epoch " + (epoch + 1) + ": " + evaluation.epochSeconds() + " s, fit calls " + fitSeconds + " s, pauses " + pauses + " s");
            assertTrue(evaluation.epochSeconds() < rank0.wallSeconds());
        }
    }

    /**
     * Averaging mode, four iterations per epoch, averaging every three: the last iteration of each epoch is not
     * a periodic averaging one, so only the epoch-end averaging makes every rank end with the same parameters
     * (what the console summary reports as "on every rank" instead of "ranks differ").
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldEndEveryEpochOfAveragingModeWithTheSameParametersOnEveryRank()
    {
        final TrainingJob job = new TrainingJob(data(), new TrainingSettings(ModelKind.MLP, UpdaterKind.NESTEROVS, 0.1,
            ExchangeMode.AVERAGING, 3, EPOCHS, BATCH, SEED, Duration.ofSeconds(20)));
        assertEquals(4 * EPOCHS, job.iterations(RANKS));

        final RunOutcome outcome = ThreadLauncher.run(plan(), job, (kind, ranks) -> new PausingSink()).get(0);

        assertTrue(outcome.ranksAgree(), () -> "final parameter CRCs " + outcome.ranks().stream()
            .map(r -> Long.toHexString(r.finalStateCrc())).toList());
        assertEquals(outcome.ranks().get(0).finalStateCrc(), outcome.ranks().get(1).finalStateCrc());
        assertEquals(EPOCHS, outcome.ranks().get(0).evaluations().size());
    }

    /** Pauses rank 0 after each of its iterations, outside {@code fit}. */
    private static final class PausingSink implements ProgressSink
    {
        @Override
        public void iterationDone(final int rank, final long iteration, final double loss)
        {
            if (0 == rank)
            {
                final long until = System.nanoTime() + PAUSE_NANOS;
                while (System.nanoTime() < until)
                {
                    LockSupport.parkNanos(until - System.nanoTime());
                }
            }
        }

        @Override
        public void evaluated(final int epoch, final long iteration, final double testAccuracy)
        {
        }
    }

    private static TrainTestData data()
    {
        return new TrainTestData("made up", images(TRAIN, 1), images(16, 2));
    }

    /** Two classes of four pixels: class 0 dark, class 1 bright. */
    private static LabelledImages images(final int count, final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final byte[] pixels = new byte[count * 4];
        final byte[] labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = (byte)(i % 2);
            for (int p = 0; p < 4; p++)
            {
                pixels[4 * i + p] = (byte)(labels[i] * 128 + random.nextInt(100));
            }
        }
        return new LabelledImages(new int[]{4}, List.of("dark", "bright"), pixels, labels);
    }

    private static RingPlan plan()
    {
        final QuantumLinkPlan noiseless = QuantumLinkPlan.noiseless();
        return new RingPlan(RANKS, TransportKind.IPC, List.of(LinkKind.CLASSICAL), noiseless, SEED, Duration.ofSeconds(30),
            Duration.ofSeconds(20), new LinkRateModel(1e9, 1e9, 1e-4), false, Map.of());
    }
}
