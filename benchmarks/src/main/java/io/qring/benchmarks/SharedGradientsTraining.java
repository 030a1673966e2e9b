package io.qring.benchmarks;

import io.qring.samples.data.TrainTestData;
import io.qring.samples.training.TrainingJob;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * DL4J's own gradient sharing as the baseline: one {@link ParallelWrapper} in
 * {@link ParallelWrapper.TrainingMode#SHARED_GRADIENTS} mode with N workers in this JVM, fed the whole
 * training set in minibatches (each worker takes every N-th). A wrapper is fitted once only (a second
 * fit of the same wrapper can hang), so every epoch builds a fresh wrapper around the same model, whose
 * parameters worker 0 trains in place; the model is evaluated between epochs. An epoch's time is the wall
 * time from the reset of the training iterator to the end of the wrapper's {@code shutdown}: the
 * {@code fit} call (drawing the batches from the iterator, replicating the model to the workers, training
 * and sharing the updates) and the shutdown that stops the workers. Building the wrapper (an artefact of
 * the one-fit-per-wrapper workaround) and the evaluation are not counted. The ring runs are timed alike
 * (rank 0's wall time of the epoch, {@link TrainingCurve#ofRank}).
 */
public final class SharedGradientsTraining
{
    private SharedGradientsTraining()
    {
    }

    /**
     * @param model        the initialised network, trained in place.
     * @param data         training and test sets.
     * @param workers      worker threads, ≥ 1.
     * @param batchSize    examples per worker per iteration.
     * @param epochs       passes over the training set, ≥ 1.
     * @param seed         seed of the data order.
     * @param epochTimeout longest one epoch may take.
     * @return the epoch times and accuracies.
     * @throws IllegalStateException if an epoch fails or exceeds {@code epochTimeout}.
     */
    public static TrainingCurve train(final MultiLayerNetwork model, final TrainTestData data, final int workers,
        final int batchSize, final int epochs, final long seed, final Duration epochTimeout)
    {
        if (workers < 1 || epochs < 1)
        {
            throw new IllegalArgumentException("need at least 1 worker and 1 epoch, got " + workers + " and " + epochs);
        }
        final DataSetIterator train = data.trainIterator(0, 1, batchSize, seed);
        final List<Double> seconds = new ArrayList<>();
        final List<Double> accuracies = new ArrayList<>();
        final ExecutorService fitter = Executors.newSingleThreadExecutor(runnable ->
        {
            final Thread thread = new Thread(runnable, "shared-gradients-fit");
            thread.setDaemon(true);
            return thread;
        });
        try
        {
            for (int epoch = 1; epoch <= epochs; epoch++)
            {
                final ParallelWrapper wrapper = new ParallelWrapper.Builder<>(model)
                    .workers(workers)
                    .prefetchBuffer(0)
                    .trainingMode(ParallelWrapper.TrainingMode.SHARED_GRADIENTS)
                    .build();
                final long start = System.nanoTime();
                train.reset();
                fitWithin(fitter, wrapper, train, epoch, epochTimeout);
                seconds.add((System.nanoTime() - start) / 1e9);
                accuracies.add(model.evaluate(data.testIterator(TrainingJob.EVALUATION_BATCH)).accuracy());
            }
        }
        finally
        {
            fitter.shutdownNow();
        }
        return new TrainingCurve(seconds, accuracies);
    }

    /**
     * Fits one epoch on the fitter thread, giving up after {@code timeout} without waiting for the fit.
     *
     * @throws IllegalStateException if the fit fails or outlives {@code timeout}.
     */
    static void fitWithin(final ExecutorService fitter, final ParallelWrapper wrapper, final DataSetIterator train,
        final int epoch, final Duration timeout)
    {
        final Future<?> fit = fitter.submit(() -> wrapper.fit(train));
        boolean fitEnded = false;
        try
        {
            fit.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            fitEnded = true;
        }
        catch (final TimeoutException ex)
        {
            wrapper.stopFit();
            fit.cancel(true);
            throw new IllegalStateException("DL4J ParallelWrapper epoch " + epoch + " did not finish within " + timeout, ex);
        }
        catch (final ExecutionException ex)
        {
            fitEnded = true;
            throw new IllegalStateException("DL4J ParallelWrapper epoch " + epoch + " failed: " + ex.getCause(), ex.getCause());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during DL4J ParallelWrapper epoch " + epoch, ex);
        }
        finally
        {
            shutDown(wrapper, fitEnded);
        }
    }

    /**
     * Shuts the wrapper down; after a fit that did not end, on a daemon thread, because DL4J's
     * {@code shutdown()} waits without a deadline for the fit (both are synchronized) and for its
     * trainers to stop, which a stuck epoch never lets happen.
     */
    private static void shutDown(final ParallelWrapper wrapper, final boolean fitEnded)
    {
        if (fitEnded)
        {
            wrapper.shutdown();
            return;
        }
        final Thread shutdown = new Thread(wrapper::shutdown, "dl4j-parallel-wrapper-shutdown");
        shutdown.setDaemon(true);
        shutdown.start();
    }
}
