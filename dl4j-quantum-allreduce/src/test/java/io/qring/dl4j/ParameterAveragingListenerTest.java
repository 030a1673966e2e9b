package io.qring.dl4j;

import io.qring.allreduce.AllReduce;
import io.qring.allreduce.ReduceOp;
import io.qring.dl4j.support.Fixtures;
import io.qring.dl4j.support.Ranks;
import io.qring.dl4j.support.ThreadedAllReduce;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.api.Trainable;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Local training with periodic ring averaging against a reference that trains the same replicas one
 * after the other and averages their vectors directly. Tolerance 1e-6 relative (max norm): both sides
 * form the same float sums, so only the ring's summation order could differ.
 */
class ParameterAveragingListenerTest
{
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final int WORLD = 2;
    private static final int SHARD = 16;
    private static final int ITERATIONS = 20;

    @ParameterizedTest
    @CsvSource({"1,false,SGD", "10,false,SGD", "5,true,ADAM"})
    void shouldMatchAReferenceAverageComputedDirectly(final int frequency, final boolean averageUpdaterState, final String updater)
    {
        final List<DataSet> batches = Fixtures.batches(Fixtures.regression(31, WORLD * SHARD * ITERATIONS, DataType.FLOAT), WORLD * SHARD);
        final List<ThreadedAllReduce> ring = ThreadedAllReduce.ring(WORLD, DEADLINE);

        final List<INDArray[]> ranks = Ranks.run(WORLD, DEADLINE, rank ->
        {
            final MultiLayerNetwork network = Fixtures.regressionMlp(DataType.FLOAT, updater(updater), 8);
            final ParameterAveragingListener averaging = QuantumRing.builder().allReduce(ring.get(rank)).build()
                .parameterAveraging(frequency, averageUpdaterState);
            network.addListeners(averaging);
            for (final DataSet batch : batches)
            {
                network.fit(Fixtures.rows(batch, rank * SHARD, (rank + 1) * SHARD));
            }
            assertEquals(ITERATIONS / frequency, averaging.averagings());
            return new INDArray[] {network.params().dup(), network.getUpdater().getStateViewArray() == null ?
                null : network.getUpdater().getStateViewArray().dup()};
        });

        final List<MultiLayerNetwork> replicas = new ArrayList<>();
        for (int r = 0; r < WORLD; r++)
        {
            replicas.add(Fixtures.regressionMlp(DataType.FLOAT, updater(updater), 8));
        }
        for (int i = 0; i < ITERATIONS; i++)
        {
            for (int r = 0; r < WORLD; r++)
            {
                replicas.get(r).fit(Fixtures.rows(batches.get(i), r * SHARD, (r + 1) * SHARD));
            }
            if ((i + 1) % frequency == 0)
            {
                averageDirectly(replicas, averageUpdaterState);
            }
        }

        SynchronousRingTrainingTest.assertBitIdentical(List.of(ranks.get(0)[0], ranks.get(1)[0]));
        final INDArray expected = replicas.get(0).params();
        assertTrue(Fixtures.relativeError(ranks.get(0)[0], expected) <= 1e-6,
            () -> "relative error " + Fixtures.relativeError(ranks.get(0)[0], expected));
        if (averageUpdaterState)
        {
            SynchronousRingTrainingTest.assertBitIdentical(List.of(ranks.get(0)[1], ranks.get(1)[1]));
            final INDArray expectedState = replicas.get(0).getUpdater().getStateViewArray();
            assertTrue(Fixtures.relativeError(ranks.get(0)[1], expectedState) <= 1e-6,
                () -> "updater state relative error " + Fixtures.relativeError(ranks.get(0)[1], expectedState));
        }
    }

    /**
     * {@code fit(DataSetIterator)} reports epoch ends: the listener averages there too, so the iterations after
     * the epoch's last periodic averaging do not leave the ranks apart, and it does not average twice when the
     * epoch's last iteration was an averaging one. Four batches per epoch, two epochs.
     */
    @ParameterizedTest
    @CsvSource({"3,4", "2,4", "4,2"})
    void shouldAverageAtEveryEpochEndUnlessTheLastIterationWasJustAveraged(final int frequency, final long expectedAveragings)
    {
        final int perEpoch = 4;
        final int epochs = 2;
        final List<DataSet> batches = Fixtures.batches(Fixtures.regression(37, WORLD * SHARD * perEpoch, DataType.FLOAT), WORLD * SHARD);
        final List<ThreadedAllReduce> ring = ThreadedAllReduce.ring(WORLD, DEADLINE);

        final List<INDArray> ranks = Ranks.run(WORLD, DEADLINE, rank ->
        {
            final MultiLayerNetwork network = Fixtures.regressionMlp(DataType.FLOAT, Fixtures.sgd(), 8);
            final ParameterAveragingListener averaging = QuantumRing.builder().allReduce(ring.get(rank)).build()
                .parameterAveraging(frequency);
            network.addListeners(averaging);
            final List<DataSet> shard = new ArrayList<>();
            for (final DataSet batch : batches)
            {
                shard.add(Fixtures.rows(batch, rank * SHARD, (rank + 1) * SHARD));
            }
            network.fit(new ListDataSetIterator<>(shard, 1), epochs);
            assertEquals(expectedAveragings, averaging.averagings());
            return network.params().dup();
        });

        final List<MultiLayerNetwork> replicas = List.of(Fixtures.regressionMlp(DataType.FLOAT, Fixtures.sgd(), 8),
            Fixtures.regressionMlp(DataType.FLOAT, Fixtures.sgd(), 8));
        int iteration = 0;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            boolean averaged = false;
            for (final DataSet batch : batches)
            {
                for (int r = 0; r < WORLD; r++)
                {
                    replicas.get(r).fit(Fixtures.rows(batch, r * SHARD, (r + 1) * SHARD));
                }
                averaged = ++iteration % frequency == 0;
                if (averaged)
                {
                    averageDirectly(replicas, false);
                }
            }
            if (!averaged)
            {
                averageDirectly(replicas, false);
            }
        }

        SynchronousRingTrainingTest.assertBitIdentical(ranks);
        final INDArray expected = replicas.get(0).params();
        assertTrue(Fixtures.relativeError(ranks.get(0), expected) <= 1e-6,
            () -> "relative error " + Fixtures.relativeError(ranks.get(0), expected));
    }

    /**
     * A loop of {@code fit(DataSet)} reports no epoch ends: after three iterations of a listener that averages
     * every ten, the replicas differ until every rank calls {@code averageNow}, which leaves them bit-identical
     * at their average, updater state included.
     */
    @Test
    void shouldAverageNowOnRequestOnEveryRank()
    {
        final int iterations = 3;
        final List<DataSet> batches = Fixtures.batches(Fixtures.regression(41, WORLD * SHARD * iterations, DataType.FLOAT), WORLD * SHARD);
        final List<ThreadedAllReduce> ring = ThreadedAllReduce.ring(WORLD, DEADLINE);

        final List<INDArray[]> ranks = Ranks.run(WORLD, DEADLINE, rank ->
        {
            final MultiLayerNetwork network = Fixtures.regressionMlp(DataType.FLOAT, new Adam(0.01), 8);
            final ParameterAveragingListener averaging = QuantumRing.builder().allReduce(ring.get(rank)).build()
                .parameterAveraging(10, true);
            network.addListeners(averaging);
            for (final DataSet batch : batches)
            {
                network.fit(Fixtures.rows(batch, rank * SHARD, (rank + 1) * SHARD));
            }
            final INDArray before = network.params().dup();
            averaging.averageNow(network);
            assertEquals(1, averaging.averagings());
            return new INDArray[] {before, network.params().dup(), network.getUpdater().getStateViewArray().dup()};
        });

        assertNotEquals(ranks.get(0)[0], ranks.get(1)[0], "the replicas trained apart");
        SynchronousRingTrainingTest.assertBitIdentical(List.of(ranks.get(0)[1], ranks.get(1)[1]));
        SynchronousRingTrainingTest.assertBitIdentical(List.of(ranks.get(0)[2], ranks.get(1)[2]));
        final INDArray expected = ranks.get(0)[0].add(ranks.get(1)[0]).divi(WORLD);
        assertTrue(Fixtures.relativeError(ranks.get(0)[1], expected) <= 1e-6,
            () -> "relative error " + Fixtures.relativeError(ranks.get(0)[1], expected));
    }

    /** The first model a listener sees is the only one it serves, on averaging iterations or not. */
    @Test
    void shouldRejectASecondModelAtItsFirstIteration()
    {
        final ThreadedAllReduce single = ThreadedAllReduce.ring(1, DEADLINE).get(0);
        final ParameterAveragingListener averaging = QuantumRing.builder().allReduce(single).build().parameterAveraging(10);
        final MultiLayerNetwork first = Fixtures.regressionMlp(DataType.FLOAT, Fixtures.sgd(), 8);
        final MultiLayerNetwork second = Fixtures.regressionMlp(DataType.FLOAT, Fixtures.sgd(), 8);

        averaging.iterationDone(first, 0, 0);
        final IllegalStateException failure =
            assertThrows(IllegalStateException.class, () -> averaging.iterationDone(second, 0, 0));

        assertTrue(failure.getMessage().contains("serves one model per rank"), failure.getMessage());
        assertThrows(IllegalStateException.class, () -> averaging.onEpochEnd(second));
        assertThrows(IllegalStateException.class, () -> averaging.averageNow(second));
        assertEquals(0, single.allGatherCalls() + single.allReduceCalls(), "no collective ran");
    }

    /**
     * One listener shared by two training threads with two models (as a {@code ParallelWrapper} shares its
     * listeners): in every round exactly one model is served and the other thread fails, and no two
     * collectives ever overlap on the ring (each collective dwells a little to expose an overlap).
     */
    @Test
    void shouldServeOnlyOneOfTwoModelsTrainedConcurrentlyAndNeverOverlapCollectives() throws Exception
    {
        final int rounds = 100;
        for (int round = 0; round < rounds; round++)
        {
            final OverlapDetectingAllReduce ring = new OverlapDetectingAllReduce(ThreadedAllReduce.ring(1, DEADLINE).get(0));
            final ParameterAveragingListener averaging = QuantumRing.builder().allReduce(ring).build().parameterAveraging(1);
            final CyclicBarrier start = new CyclicBarrier(2);
            final List<Ranks.Outcome<Long>> outcomes = Ranks.runCollecting(2, DEADLINE, thread ->
            {
                final MultiLayerNetwork model = Fixtures.regressionMlp(DataType.FLOAT, Fixtures.sgd(), 8);
                start.await(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
                averaging.iterationDone(model, 0, 0);
                return averaging.averagings();
            });

            final long failed = outcomes.stream().filter(o -> o.failure() != null).count();
            assertEquals(1, failed, "round " + round + ": exactly one of the two threads fails");
            for (final Ranks.Outcome<Long> outcome : outcomes)
            {
                if (outcome.failure() != null)
                {
                    assertTrue(outcome.failure() instanceof IllegalStateException &&
                        outcome.failure().getMessage().contains("serves one model per rank"), () -> outcome.failure().toString());
                }
            }
            assertEquals(1, ring.maxConcurrent.get(), "round " + round + ": collectives overlapped");
            assertEquals(1, averaging.averagings());
        }
    }

    {
        final long count = 1_200_000_000L;
        final INDArray huge = broadcastZero(count);
        final Updater updater = new Updater()
        {
            @Override
            public void setStateViewArray(final Trainable layer, final INDArray viewArray, final boolean initialize)
            {
                throw new UnsupportedOperationException();
            }

            @Override
            public INDArray getStateViewArray()
            {
                return huge;
            }

            @Override
            public void update(
                final Trainable layer,
                final Gradient gradient,
                final int iteration,
                final int epoch,
                final int miniBatchSize,
                final LayerWorkspaceMgr workspaceMgr)
            {
                throw new UnsupportedOperationException();
            }
        };
        final MultiLayerNetwork network =
            new MultiLayerNetwork(Fixtures.regressionMlp(DataType.FLOAT, new Adam(0.01), 8).getLayerWiseConfigurations())
            {
                @Override
                public INDArray params()
                {
                    return huge;
                }

                @Override
                public Updater getUpdater()
                {
                    return updater;
                }
            };
        final ParameterAveragingListener averaging = QuantumRing.builder()
            .allReduce(ThreadedAllReduce.ring(1, DEADLINE).get(0)).build()
            .parameterAveraging(1, true);

        final IllegalArgumentException failure =
            assertThrows(IllegalArgumentException.class, () -> averaging.iterationDone(network, 0, 0));
        assertTrue(failure.getMessage().contains("parameters + updater state values = 1200000000 + 1200000000 = 2400000000"),
            failure.getMessage());
        assertEquals(0, averaging.averagings());
    }

    /** An {@link AllReduce} that records how many collectives run at once, each staying inside for 2 ms. */
    private static final class OverlapDetectingAllReduce implements AllReduce
    {
        private static final long DWELL_NS = TimeUnit.MILLISECONDS.toNanos(2);

        private final AllReduce delegate;
        private final AtomicInteger concurrent = new AtomicInteger();
        private final AtomicInteger maxConcurrent = new AtomicInteger();

        OverlapDetectingAllReduce(final AllReduce delegate)
        {
            this.delegate = delegate;
        }

        @Override
        public int rank()
        {
            return delegate.rank();
        }

        @Override
        public int worldSize()
        {
            return delegate.worldSize();
        }

        @Override
        public void allReduce(final float[] data, final ReduceOp op)
        {
            inside(() ->
            {
                delegate.allReduce(data, op);
                return null;
            });
        }

        @Override
        public void allReduce(final double[] data, final ReduceOp op)
        {
            inside(() ->
            {
                delegate.allReduce(data, op);
                return null;
            });
        }

        @Override
        public byte[][] allGather(final byte[] local)
        {
            return inside(() -> delegate.allGather(local));
        }

        @Override
        public void close()
        {
            delegate.close();
        }

        /** Runs one collective, counted as running from before its dwell until it returns. */
        private <T> T inside(final Supplier<T> collective)
        {
            maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
            try
            {
                final long until = System.nanoTime() + DWELL_NS;
                while (System.nanoTime() < until)
                {
                    LockSupport.parkNanos(until - System.nanoTime());
                }
                return collective.get();
            }
            finally
            {
                concurrent.decrementAndGet();
            }
        }
    }

    /** A FLOAT vector of {@code length} zeros backed by one element (stride 0), so it costs no memory. */
    private static INDArray broadcastZero(final long length)
    {
        return Nd4j.create(Nd4j.createBuffer(new float[] {0f}), new long[] {length}, new long[] {0}, 0, 'c');
    }

    private static void averageDirectly(final List<MultiLayerNetwork> replicas, final boolean updaterState)
    {
        final INDArray params = replicas.get(0).params().dup();
        final INDArray state = updaterState ? replicas.get(0).getUpdater().getStateViewArray().dup() : null;
        for (int r = 1; r < replicas.size(); r++)
        {
            params.addi(replicas.get(r).params());
            if (state != null)
            {
                state.addi(replicas.get(r).getUpdater().getStateViewArray());
            }
        }
        params.divi(replicas.size());
        for (final MultiLayerNetwork replica : replicas)
        {
            replica.params().assign(params);
            if (state != null)
            {
                replica.getUpdater().getStateViewArray().assign(state.div(replicas.size()));
            }
        }
    }

    private static IUpdater updater(final String name)
    {
        return "ADAM".equals(name) ? new Adam(0.01) : Fixtures.sgd();
    }
}
