package io.qring.benchmarks;

import io.qring.samples.training.ModelKind;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;

import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The DL4J baseline's epoch timeout fails the epoch on time, even when the fit it gives up on never ends. */
class SharedGradientsTrainingTest
{
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldFailAnEpochThatOutlivesItsTimeoutWithoutWaitingForTheStuckFit()
    {
        final MultiLayerNetwork model = ModelKind.MLP.create(new int[]{4}, 2, new Sgd(0.1), 7);
        final ParallelWrapper wrapper = new ParallelWrapper.Builder<>(model).workers(2).prefetchBuffer(0)
            .trainingMode(ParallelWrapper.TrainingMode.SHARED_GRADIENTS).build();
        final CountDownLatch never = new CountDownLatch(1);
        final ExecutorService fitter = Executors.newSingleThreadExecutor(runnable ->
        {
            final Thread thread = new Thread(runnable, "stuck-fit");
            thread.setDaemon(true);
            return thread;
        });
        try
        {
            final long start = System.nanoTime();
            final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> SharedGradientsTraining.fitWithin(
                fitter, wrapper, new ExistingDataSetIterator(stuckBatches(never)), 1, Duration.ofSeconds(1)));
            final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(ex.getMessage().contains("epoch 1 did not finish within PT1S"), ex.getMessage());
            assertTrue(elapsedMs < 10_000, "gave up after " + elapsedMs + " ms on a 1 s timeout");
        }
        finally
        {
            never.countDown();
            fitter.shutdownNow();
        }
    }

    /**
     * @return batches whose first {@code hasNext} blocks until {@code release} opens, interrupts
     *         notwithstanding (a stuck fit), then none.
     */
    private static Iterator<DataSet> stuckBatches(final CountDownLatch release)
    {
        return new Iterator<>()
        {
            @Override
            public boolean hasNext()
            {
                boolean interrupted = false;
                while (release.getCount() > 0)
                {
                    try
                    {
                        release.await();
                    }
                    catch (final InterruptedException ex)
                    {
                        interrupted = true;
                    }
                }
                if (interrupted)
                {
                    Thread.currentThread().interrupt();
                }
                return false;
            }

            @Override
            public DataSet next()
            {
                throw new NoSuchElementException();
            }
        };
    }
}
