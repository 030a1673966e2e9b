package io.qring.dl4j;

import io.qring.dl4j.support.Fixtures;
import io.qring.dl4j.support.ThreadedAllReduce;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Local workers of one rank that do not arrive in time, or disagree on the number of workers in a round:
 * every worker fails with a {@link RingTrainingException} naming the iteration, epoch, rank and model size,
 * with the rendezvous' own report as its cause, as the accumulators document.
 */
class LocalWorkerTimeoutTest
{
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final Duration SHORT_TIMEOUT = Duration.ofMillis(300);
    private static final int PARAMETERS = 49;

    @Test
    void shouldReportALocalWorkerThatNeverArrivesWithTheAccumulatorsContext()
    {
        final QuantumRingGradientsAccumulator accumulator = ring(SHORT_TIMEOUT).accumulator();
        accumulator.registerConsumers(2);

        final RingTrainingException timedOut =
            assertThrows(RingTrainingException.class, () -> accumulator.storeUpdate(update(), 7, 2));

        assertTrue(timedOut.getMessage().contains("gradient exchange at iteration 7, epoch 2 on rank 0 of 1 (model with " +
            PARAMETERS + " FLOAT parameters)"), timedOut.getMessage());
        assertTrue(timedOut.getMessage().contains("timed out after 300 ms waiting for 1 more of 2 workers"), timedOut.getMessage());
        assertInstanceOf(IllegalStateException.class, timedOut.getCause());

        final RingTrainingException later = assertThrows(RingTrainingException.class, () -> accumulator.storeUpdate(update(), 8, 2));
        assertTrue(later.getMessage().contains("iteration 8, epoch 2"), later.getMessage());
        assertTrue(later.getMessage().contains("timed out after 300 ms"), later.getMessage());
    }

    @Test
    void shouldReportLocalWorkersThatDisagreeOnTheRoundSizeOnEveryWorker() throws InterruptedException
    {
        final QuantumRingGradientsAccumulator accumulator = ring(DEADLINE).accumulator();
        accumulator.registerConsumers(2);
        final Throwable[] firstFailure = new Throwable[1];
        final Thread first = new Thread(() ->
        {
            try
            {
                accumulator.storeUpdate(update(), 4, 1);
            }
            catch (final Throwable ex)
            {
                firstFailure[0] = ex;
            }
        }, "first-worker");
        first.setDaemon(true);
        first.start();
        awaitWaiting(first);
        accumulator.registerConsumers(3);

        final RingTrainingException second = assertThrows(RingTrainingException.class, () -> accumulator.storeUpdate(update(), 4, 1));

        first.join(DEADLINE.toMillis());
        assertTrue(second.getMessage().contains("gradient exchange at iteration 4, epoch 1 on rank 0 of 1 (model with " +
            PARAMETERS + " FLOAT parameters)"), second.getMessage());
        assertTrue(second.getMessage().contains("parties disagree on the number of workers in the round (2 vs 3)"), second.getMessage());
        final RingTrainingException waiting = assertInstanceOf(RingTrainingException.class, firstFailure[0]);
        assertTrue(waiting.getMessage().contains("iteration 4, epoch 1 on rank 0 of 1"), waiting.getMessage());
        assertTrue(waiting.getMessage().contains("(2 vs 3)"), waiting.getMessage());
    }

    /** The sparse accumulator's ring handler: DL4J wraps what it throws, the cause chain holds the context. */
    @Test
    void shouldReportALocalWorkerThatNeverArrivesAtASparseExchangeWithTheHandlersContext()
    {
        final MultiLayerNetwork network = Fixtures.regressionMlp(DataType.FLOAT, Fixtures.sgd(), 8);
        final RingEncodedGradientsAccumulator accumulator = ring(SHORT_TIMEOUT).sparseAccumulator(network, 2);
        accumulator.registerConsumers(2);

        final RuntimeException thrown = assertThrows(RuntimeException.class, () -> accumulator.storeUpdate(update(), 5, 3));

        final RingTrainingException failure = BadInputTest.ringFailure(thrown);
        assertTrue(failure.getMessage().contains("sparse update exchange at iteration 5, epoch 3 on rank 0 of 1 (model with " +
            PARAMETERS + " FLOAT parameters)"), failure.getMessage());
        assertTrue(failure.getMessage().contains("timed out after 300 ms waiting for 1 more of 2 workers"), failure.getMessage());
        assertInstanceOf(IllegalStateException.class, failure.getCause());
    }

    private static QuantumRing ring(final Duration exchangeTimeout)
    {
        return QuantumRing.builder().allReduce(ThreadedAllReduce.ring(1, DEADLINE).get(0)).exchangeTimeout(exchangeTimeout).build();
    }

    private static INDArray update()
    {
        return Nd4j.ones(DataType.FLOAT, 1, PARAMETERS).muli(0.01);
    }

    private static void awaitWaiting(final Thread thread)
    {
        final long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (thread.getState() != Thread.State.TIMED_WAITING)
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("the first worker never waited for the second");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }
}
