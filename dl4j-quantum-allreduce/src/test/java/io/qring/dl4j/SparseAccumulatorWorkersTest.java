package io.qring.dl4j;

import io.qring.dl4j.support.Fixtures;
import io.qring.dl4j.support.Ranks;
import io.qring.dl4j.support.ThreadedAllReduce;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.solvers.accumulation.IndexedTail;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sparse accumulator used by a number of training threads other than the one it was built for. */
class SparseAccumulatorWorkersTest
{
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final Duration SHORT_TIMEOUT = Duration.ofMillis(500);
    /**
     * Exchange timeout of the ParallelWrapper cases: their failures come from the worker counts, not from
     * a timeout, so it is long enough that a worker slowed down by a busy machine never times out first
     * waiting for the other in an exchange (at 500 ms one did, and its timeout hid the real cause).
     */
    private static final Duration WRAPPER_EXCHANGE_TIMEOUT = Duration.ofSeconds(10);
    private static final int HIDDEN = 8;

    /** Built for two ParallelWrapper workers, used by one training thread: no round is ever registered. */
    @Test
    void shouldFailWithinTheExchangeTimeoutWhenASingleThreadUsesAnAccumulatorForTwoWorkers()
    {
        final DataSet data = Fixtures.regression(5, 16, DataType.FLOAT);
        final QuantumRing ring = QuantumRing.builder()
            .allReduce(ThreadedAllReduce.ring(1, DEADLINE).get(0))
            .exchangeTimeout(SHORT_TIMEOUT)
            .build();
        final MultiLayerNetwork network = Fixtures.regressionMlp(DataType.FLOAT, Fixtures.sgd(), HIDDEN);
        network.setGradientsAccumulator(ring.sparseAccumulator(network, 2));
        final long start = System.nanoTime();

        final Throwable failure = failureWithin(Duration.ofSeconds(20), () -> network.fit(data));

        final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        final String message = messageContaining(failure, "built for 2 local workers");
        assertTrue(message.contains("1 training thread(s) have used it"), message);
        assertTrue(message.contains("within 500 ms"), message);
        assertTrue(message.contains("QuantumRing.sparseAccumulator(model, 1)"), message);
        assertTrue(elapsedMs >= 500, "waited " + elapsedMs + " ms");
    }

    /** Built for two workers, fed by a ParallelWrapper of three. */
    @Test
    void shouldRejectAParallelWrapperWithMoreWorkersThanTheAccumulatorWasBuiltFor()
    {
        final String message = parallelWrapperFailure(2, 3, 7, 2);
        assertTrue(message.contains("a round has 3 workers"), message);
        assertTrue(message.contains("QuantumRing.sparseAccumulator(model, 3)"), message);
    }

    /**
     * Built for three workers, fed by a ParallelWrapper of two: the third worker never joins, and its share of
     * the updates would be held forever; both workers fail with that cause once more updates were made than
     * DL4J queues for a worker.
     */
    @Test
    void shouldFailWhenFewerWorkersTrainThanTheAccumulatorWasBuiltFor()
    {
        final String message = parallelWrapperFailure(3, 2, 9, 12);
        assertTrue(message.contains("2 training threads have joined, and they made 6 encoded updates while 1 never did (more " +
            "than the 5 a worker may fall behind)"), message);
        assertTrue(message.contains("2 training threads have joined"), message);
    }

    /**
     * Fits a one-rank ring's sparse accumulator built for {@code builtFor} workers inside a ParallelWrapper of
     * {@code workers}, with batches of 16 examples, {@code batchesPerWorker} for each worker.
     *
     * @return the message of the failure, which must name the worker count the accumulator was built for.
     */
    private static String parallelWrapperFailure(final int builtFor, final int workers, final long seed, final int batchesPerWorker)
    {
        final List<DataSet> batches = Fixtures.batches(Fixtures.regression(seed, workers * 16 * batchesPerWorker, DataType.FLOAT), 16);
        final QuantumRing ring = QuantumRing.builder()
            .allReduce(ThreadedAllReduce.ring(1, DEADLINE).get(0))
            .exchangeTimeout(WRAPPER_EXCHANGE_TIMEOUT)
            .build();
        final MultiLayerNetwork model = Fixtures.regressionMlp(DataType.FLOAT, Fixtures.sgd(), HIDDEN);
        final RingEncodedGradientsAccumulator accumulator = ring.sparseAccumulator(model, builtFor);

        final Throwable failure = failureWithin(Duration.ofSeconds(30),
            () -> SynchronousRingTrainingTest.fitWithParallelWrapper(model, workers, accumulator, batches));
        return messageContaining(failure, "built for " + builtFor + " local workers");
    }

    /**
     * One party, each fit on a new thread (as when a caller trains from a thread pool): every thread is
     * worker 0 and takes over the previous thread's position in the external source, so no position of a
     * thread that stopped training keeps remote updates alive.
     */
    @Test
    void shouldLetSuccessiveFitsOfOnePartyRunOnDifferentThreads()
    {
        final int worldSize = 2;
        final int fits = 3;
        final int shard = 16;
        final List<DataSet> batches = Fixtures.batches(Fixtures.regression(11, worldSize * shard * fits, DataType.FLOAT), worldSize * shard);
        final List<ThreadedAllReduce> endpoints = ThreadedAllReduce.ring(worldSize, DEADLINE);

        final List<INDArray> params = Ranks.run(worldSize, DEADLINE, rank ->
        {
            final MultiLayerNetwork network = Fixtures.regressionMlp(DataType.FLOAT, Fixtures.sgd(), HIDDEN);
            final INDArray initial = network.params().dup();
            final RingEncodedGradientsAccumulator accumulator =
                QuantumRing.builder().allReduce(endpoints.get(rank)).build().sparseAccumulator(network, 1);
            network.setGradientsAccumulator(accumulator);
            for (int fit = 0; fit < fits; fit++)
            {
                final DataSet mine = Fixtures.rows(batches.get(fit), rank * shard, (rank + 1) * shard);
                final Throwable failure = failureWithin(DEADLINE, () -> network.fit(mine));
                if (failure != null)
                {
                    throw new AssertionError("fit " + fit + " on a new thread failed", failure);
                }
            }
            final IndexedTail tail = accumulator.getExternalSource();
            assertEquals(1, tail.getPositions().size(), "only the current training thread holds a position");
            assertEquals(0, tail.updatesSize(), "every remote update was applied and released");
            assertFalse(network.params().equals(initial), "training moved the parameters");
            return network.params().dup();
        });

        SynchronousRingTrainingTest.assertBitIdentical(params);
        assertEquals(fits, endpoints.get(0).allGatherCalls() - 1, "one exchange per fit after the handshake");
    }

    /**
     * Runs {@code work} on a daemon thread (so a training loop that never returns cannot hang the test run).
     *
     * @return what it threw, or {@code null}.
     */
    static Throwable failureWithin(final Duration limit, final Runnable work)
    {
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread thread = new Thread(() ->
        {
            try
            {
                work.run();
            }
            catch (final Throwable ex)
            {
                failure.set(ex);
            }
        }, "training-thread");
        thread.setDaemon(true);
        thread.start();
        try
        {
            thread.join(limit.toMillis());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", ex);
        }
        if (thread.isAlive())
        {
            throw new AssertionError("training did not return within " + limit.toMillis() + " ms");
        }
        return failure.get();
    }

    static String messageContaining(final Throwable thrown, final String part)
    {
        assertNotNull(thrown, "training should have failed");
        for (Throwable t = thrown; t != null; t = t.getCause())
        {
            if (t.getMessage() != null && t.getMessage().contains(part))
            {
                return t.getMessage();
            }
        }
        throw new AssertionError("no message containing \"" + part + "\" in the cause chain", thrown);
    }
}
