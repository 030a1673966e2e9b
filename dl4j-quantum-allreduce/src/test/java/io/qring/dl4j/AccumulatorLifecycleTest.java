package io.qring.dl4j;

import io.qring.dl4j.support.Fixtures;
import io.qring.dl4j.support.ThreadedAllReduce;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reuse of one accumulator across fits, and failures of exchange listeners. */
class AccumulatorLifecycleTest
{
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final int HIDDEN = 8;
    private static final int FITS = 4;

    /**
     * Each fit on a new thread followed by {@code reset()}, as a new ParallelWrapper per fit does: the
     * threads' model-sized buffers must not accumulate, and training must be what one thread would do.
     */
    @Test
    void shouldForgetEveryWorkersBuffersOnReset() throws Exception
    {
        final List<DataSet> batches = Fixtures.batches(Fixtures.regression(23, 16 * FITS, DataType.FLOAT), 16);
        final QuantumRingGradientsAccumulator accumulator =
            QuantumRing.builder().allReduce(ThreadedAllReduce.ring(1, DEADLINE).get(0)).build().accumulator();
        final MultiLayerNetwork network = Fixtures.regressionMlp(DataType.FLOAT, Fixtures.sgd(), HIDDEN);
        network.setGradientsAccumulator(accumulator);

        for (final DataSet batch : batches)
        {
            final Thread thread = new Thread(() -> network.fit(batch));
            thread.start();
            thread.join(DEADLINE.toMillis());
            assertEquals(1, accumulator.workerSlots());
            accumulator.reset();
            assertEquals(0, accumulator.workerSlots(), "reset drops the buffers of the threads of the ended fit");
        }

        final MultiLayerNetwork reference = Fixtures.regressionMlp(DataType.FLOAT, Fixtures.sgd(), HIDDEN);
        reference.setGradientsAccumulator(QuantumRing.builder().allReduce(ThreadedAllReduce.ring(1, DEADLINE).get(0)).build().accumulator());
        batches.forEach(reference::fit);
        assertEquals(FITS, accumulator.exchanges());
        assertArrayEquals(reference.params().data().asFloat(), network.params().data().asFloat());
    }

    /**
     * A listener failure after the exchange leaves this rank without the iteration the other ranks applied;
     * a caller that catches it and trains on must be stopped rather than train an out-of-step replica.
     */
    @Test
    void shouldStopTheSynchronousAccumulatorWhenAnExchangeListenerFails()
    {
        final List<DataSet> batches = Fixtures.batches(Fixtures.regression(29, 16 * 3, DataType.FLOAT), 16);
        final ThreadedAllReduce endpoint = ThreadedAllReduce.ring(1, DEADLINE).get(0);
        final IllegalStateException listenerFailure = new IllegalStateException("ledger source unavailable");
        final AtomicInteger calls = new AtomicInteger();
        final MultiLayerNetwork network = Fixtures.regressionMlp(DataType.FLOAT, Fixtures.sgd(), HIDDEN);
        final QuantumRingGradientsAccumulator accumulator = QuantumRing.builder().allReduce(endpoint).build().accumulator(network)
            .addExchangeListener((iteration, epoch, applied) ->
            {
                if (calls.incrementAndGet() == 2)
                {
                    throw listenerFailure;
                }
            });
        network.setGradientsAccumulator(accumulator);

        network.fit(batches.get(0));
        final INDArray beforeFailure = network.params().dup();
        final RingTrainingException failed = BadInputTest.ringFailure(assertThrows(RuntimeException.class, () -> network.fit(batches.get(1))));
        assertSame(listenerFailure, failed.getCause());
        assertTrue(failed.getMessage().contains("iteration 1, epoch 0 on rank 0 of 1"), failed.getMessage());
        assertEquals(beforeFailure, network.params(), "the failed iteration is not applied on this rank");

        final RingTrainingException stopped = BadInputTest.ringFailure(assertThrows(RuntimeException.class, () -> network.fit(batches.get(2))));
        assertTrue(stopped.getMessage().contains("the accumulator stopped after an exchange listener failed"), stopped.getMessage());
        assertSame(failed, stopped.getCause());
        assertEquals(1, accumulator.exchanges());
        assertEquals(2, endpoint.allReduceCalls(), "no collective after the accumulator stopped");
    }

    @Test
    void shouldStopTheSparseAccumulatorWhenAnExchangeListenerFails()
    {
        final List<DataSet> batches = Fixtures.batches(Fixtures.regression(31, 16 * 3, DataType.FLOAT), 16);
        final ThreadedAllReduce endpoint = ThreadedAllReduce.ring(1, DEADLINE).get(0);
        final AtomicInteger calls = new AtomicInteger();
        final MultiLayerNetwork network = Fixtures.regressionMlp(DataType.FLOAT, Fixtures.sgd(), HIDDEN);
        network.setGradientsAccumulator(QuantumRing.builder().allReduce(endpoint).build().sparseAccumulator(network, 1)
            .addExchangeListener((iteration, epoch, applied) ->
            {
                if (calls.incrementAndGet() == 2)
                {
                    throw new AssertionError("listener bug");
                }
            }));

        network.fit(batches.get(0));
        final RingTrainingException failed = BadInputTest.ringFailure(assertThrows(Throwable.class, () -> network.fit(batches.get(1))));
        assertTrue(failed.getMessage().contains("an exchange listener failed"), failed.getMessage());
        final long gathers = endpoint.allGatherCalls();

        final RingTrainingException stopped = BadInputTest.ringFailure(assertThrows(Throwable.class, () -> network.fit(batches.get(2))));
        assertTrue(stopped.getMessage().contains("the accumulator stopped after an exchange listener failed"), stopped.getMessage());
        assertEquals(gathers, endpoint.allGatherCalls(), "no collective after the accumulator stopped");
    }
}
