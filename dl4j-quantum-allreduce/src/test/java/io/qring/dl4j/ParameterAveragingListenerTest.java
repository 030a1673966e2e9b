package io.qring.dl4j;

import io.qring.dl4j.support.Fixtures;
import io.qring.dl4j.support.Ranks;
import io.qring.dl4j.support.ThreadedAllReduce;
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

import static org.junit.jupiter.api.Assertions.assertEquals;
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

    @Test
    void shouldRejectParametersAndUpdaterStateThatTogetherDoNotFitOneJavaArray()
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
