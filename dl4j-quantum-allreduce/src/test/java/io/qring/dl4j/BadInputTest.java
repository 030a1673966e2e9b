package io.qring.dl4j;

import io.qring.dl4j.support.Fixtures;
import io.qring.dl4j.support.Ranks;
import io.qring.dl4j.support.ThreadedAllReduce;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.OptimizationAlgorithm;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Misuse and faults: every rank must reach the same clear verdict in the same iteration. */
class BadInputTest
{
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final int WORLD = 2;
    private static final int SHARD = 16;

    @Test
    void shouldReportDifferentParameterCountsOnEveryRankAtTheFirstExchange()
    {
        final List<ThreadedAllReduce> ring = ThreadedAllReduce.ring(WORLD, DEADLINE);
        final DataSet data = Fixtures.regression(3, WORLD * SHARD, DataType.FLOAT);

        final List<Ranks.Outcome<Integer>> outcomes = Ranks.runCollecting(WORLD, DEADLINE, rank ->
        {
            final MultiLayerNetwork network = Fixtures.regressionMlp(DataType.FLOAT, Fixtures.sgd(), 8 + rank);
            network.setGradientsAccumulator(QuantumRing.builder().allReduce(ring.get(rank)).build().accumulator());
            network.fit(Fixtures.rows(data, rank * SHARD, (rank + 1) * SHARD));
            return network.getIterationCount();
        });

        for (int rank = 0; rank < WORLD; rank++)
        {
            final RingTrainingException failure = ringFailure(outcomes.get(rank).failure());
            final String message = failure.getMessage();
            assertTrue(message.contains("iteration 0, epoch 0 on rank " + rank + " of 2"), message);
            assertTrue(message.contains("every rank must train the same model"), message);
            assertTrue(message.contains("rank 0: 49 FLOAT, rank 1: 55 FLOAT"), message);
        }
        assertEquals(0, ring.get(0).allReduceCalls(), "no numbers were combined");
    }

    /** Replicas that start apart would stay apart under averaged updates: the first exchange refuses them. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldReportReplicasThatStartFromDifferentParametersAtTheFirstExchange(final boolean sparse)
    {
        final List<ThreadedAllReduce> ring = ThreadedAllReduce.ring(WORLD, DEADLINE);
        final DataSet data = Fixtures.regression(3, WORLD * SHARD, DataType.FLOAT);
        final int[] checksums = new int[WORLD];

        final List<Ranks.Outcome<Integer>> outcomes = Ranks.runCollecting(WORLD, DEADLINE, rank ->
        {
            final MultiLayerNetwork network = Fixtures.regressionMlp(DataType.FLOAT, Fixtures.sgd(), 8);
            network.params().putScalar(5, network.params().getDouble(5) + rank);
            checksums[rank] = RingHandshake.parametersChecksum(network.params());
            final QuantumRing quantumRing = QuantumRing.builder().allReduce(ring.get(rank)).build();
            network.setGradientsAccumulator(sparse ? quantumRing.sparseAccumulator(network, 1) : quantumRing.accumulator(network));
            network.fit(Fixtures.rows(data, rank * SHARD, (rank + 1) * SHARD));
            return network.getIterationCount();
        });

        assertTrue(checksums[0] != checksums[1], "the perturbed parameter changes the checksum");
        for (int rank = 0; rank < WORLD; rank++)
        {
            final String message = ringFailure(outcomes.get(rank).failure()).getMessage();
            assertTrue(message.contains("iteration 0, epoch 0 on rank " + rank + " of 2"), message);
            assertTrue(message.contains("every rank must start from the same parameters"), message);
            assertTrue(message.contains(String.format("rank 0: %08x, rank 1: %08x", checksums[0], checksums[1])), message);
        }
        assertEquals(0, ring.get(0).allReduceCalls(), "no numbers were combined");
        assertEquals(1, ring.get(0).allGatherCalls(), "the handshake, and no sparse messages, crossed the ring");
    }

    /** The same inside {@code ParallelWrapper}: the accumulator checks the wrapped model's parameters. */
    @Test
    void shouldReportReplicasThatStartFromDifferentParametersInsideParallelWrapper()
    {
        final List<ThreadedAllReduce> ring = ThreadedAllReduce.ring(WORLD, DEADLINE);
        final List<DataSet> batches = Fixtures.batches(Fixtures.regression(5, 2 * SHARD * 3, DataType.FLOAT), SHARD);

        final List<Ranks.Outcome<String>> outcomes = Ranks.runCollecting(WORLD, DEADLINE, rank ->
        {
            final MultiLayerNetwork network = Fixtures.regressionMlp(DataType.FLOAT, Fixtures.sgd(), 8);
            network.params().putScalar(5, network.params().getDouble(5) + rank);
            final QuantumRingGradientsAccumulator accumulator = QuantumRing.builder().allReduce(ring.get(rank))
                .exchangeTimeout(Duration.ofSeconds(10)).build().accumulator(network);
            final Throwable failure = SparseAccumulatorWorkersTest.failureWithin(Duration.ofSeconds(40),
                () -> SynchronousRingTrainingTest.fitWithParallelWrapper(network, 2, accumulator, batches));
            return SparseAccumulatorWorkersTest.messageContaining(failure, "every rank must start from the same parameters");
        });

        for (int rank = 0; rank < WORLD; rank++)
        {
            final String message = outcomes.get(rank).value();
            assertTrue(message.contains("this is rank " + rank + " of 2"), message);
        }
        assertEquals(0, ring.get(0).allReduceCalls(), "no numbers were combined");
    }

    @Test
    void shouldSkipANonFiniteIterationOnEveryRankAndTrainOn()
    {
        final List<ThreadedAllReduce> ring = ThreadedAllReduce.ring(WORLD, DEADLINE);
        RingNonFiniteUpdateTest.assertSkipsThePoisonedIterationOnEveryRank(ring::get);
    }

    @Test
    void shouldFailANonFiniteIterationOnEveryRank()
    {
        final List<ThreadedAllReduce> ring = ThreadedAllReduce.ring(WORLD, DEADLINE);
        RingNonFiniteUpdateTest.assertFailsTheInfiniteIterationOnEveryRank(ring::get);
    }

    @Test
    void shouldStopWithTheModelContextWhenAPeerNeverArrives()
    {
        final List<ThreadedAllReduce> ring = ThreadedAllReduce.ring(WORLD, Duration.ofMillis(300));
        final DataSet data = Fixtures.regression(21, SHARD, DataType.FLOAT);
        final MultiLayerNetwork network = Fixtures.regressionMlp(DataType.FLOAT, Fixtures.sgd(), 8);
        network.setGradientsAccumulator(QuantumRing.builder().allReduce(ring.get(0)).build().accumulator());

        final RingTrainingException failure = ringFailure(assertThrows(RuntimeException.class, () -> network.fit(data)));

        assertTrue(failure.getMessage().contains("on rank 0 of 2 (model with 49 FLOAT parameters)"), failure.getMessage());
        assertTrue(failure.getMessage().contains("peers did not arrive within 300 ms"), failure.getMessage());
    }

    @Test
    void shouldRejectAnIncompleteRingConfiguration()
    {
        assertThrows(IllegalStateException.class, () -> QuantumRing.builder().build());
        final ThreadedAllReduce single = ThreadedAllReduce.ring(1, DEADLINE).get(0);
        assertThrows(IllegalArgumentException.class,
            () -> QuantumRing.builder().allReduce(single).exchangeTimeout(Duration.ZERO).build());
        assertThrows(IllegalArgumentException.class,
            () -> QuantumRing.builder().allReduce(single).nonFiniteUpdatePolicy(null).build());
        final QuantumRing ring = QuantumRing.builder().allReduce(single).build();
        assertThrows(IllegalArgumentException.class, () -> ring.parameterAveraging(0));
        assertThrows(UnsupportedOperationException.class, () -> ring.accumulator().receiveUpdate(null));
        assertThrows(IllegalArgumentException.class, () -> ring.accumulator().registerConsumers(0));
    }

    @Test
    void shouldRejectAnExchangeTimeoutBeyondTheNanosecondRangeNamingTheLimit()
    {
        final ThreadedAllReduce single = ThreadedAllReduce.ring(1, DEADLINE).get(0);

        final IllegalArgumentException failure = assertThrows(IllegalArgumentException.class,
            () -> QuantumRing.builder().allReduce(single).exchangeTimeout(ChronoUnit.FOREVER.getDuration()).build());

        assertTrue(failure.getMessage().contains("exchangeTimeout must be at most " + QuantumRing.MAX_EXCHANGE_TIMEOUT), failure.getMessage());
        assertTrue(failure.getMessage().contains("about 292 years"), failure.getMessage());
        assertThrows(IllegalArgumentException.class, () -> QuantumRing.builder().allReduce(single)
            .exchangeTimeout(QuantumRing.MAX_EXCHANGE_TIMEOUT.plusNanos(1)).build());
        assertNotNull(QuantumRing.builder().allReduce(single).exchangeTimeout(QuantumRing.MAX_EXCHANGE_TIMEOUT).build().accumulator());
    }

    /** In DL4J M2.1 only stochastic gradient descent calls a gradients accumulator; the others train alone. */
    @ParameterizedTest
    @EnumSource(value = OptimizationAlgorithm.class, names = {"LBFGS", "CONJUGATE_GRADIENT", "LINE_GRADIENT_DESCENT"})
    void shouldRejectAModelWhoseOptimizerNeverCallsTheAccumulator(final OptimizationAlgorithm algorithm)
    {
        final QuantumRing ring = QuantumRing.builder().allReduce(ThreadedAllReduce.ring(1, DEADLINE).get(0)).build();

        for (final Model model : List.of(network(algorithm), graph(algorithm)))
        {
            final IllegalArgumentException sync = assertThrows(IllegalArgumentException.class, () -> ring.accumulator(model));
            assertTrue(sync.getMessage().contains("optimization algorithm " + algorithm), sync.getMessage());
            assertTrue(sync.getMessage().contains("every rank would train alone"), sync.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ring.sparseAccumulator(model, 1));
        }
        final Model sgd = network(OptimizationAlgorithm.STOCHASTIC_GRADIENT_DESCENT);
        assertNotNull(ring.accumulator(sgd));
        assertNotNull(ring.sparseAccumulator(sgd, 1));
    }

    /**
     * The synchronous ring exchanges FLOAT or DOUBLE parameters: a HALF model is refused where it is given
     * (parameter averaging at its first iteration, not only at the first averaging one), naming the dtype.
     * The sparse accumulator, which exchanges DL4J's integer-encoded updates, trains HALF models.
     */
    @Test
    void shouldRejectAHalfModelWhereTheSynchronousRingOrAveragingIsGivenIt()
    {
        final ThreadedAllReduce single = ThreadedAllReduce.ring(1, DEADLINE).get(0);
        final QuantumRing ring = QuantumRing.builder().allReduce(single).build();
        final MultiLayerNetwork half = Fixtures.regressionMlp(DataType.HALF, Fixtures.sgd(), 8);

        final IllegalArgumentException sync = assertThrows(IllegalArgumentException.class, () -> ring.accumulator(half));
        assertTrue(sync.getMessage().contains("exchanges FLOAT or DOUBLE parameters; the model uses HALF"), sync.getMessage());

        final ParameterAveragingListener averaging = ring.parameterAveraging(10);
        final IllegalArgumentException averaged = assertThrows(IllegalArgumentException.class, () -> averaging.iterationDone(half, 0, 0));
        assertTrue(averaged.getMessage().contains("the model uses HALF"), averaged.getMessage());
        assertEquals(0, single.allGatherCalls() + single.allReduceCalls(), "nothing crossed the ring");

        assertNotNull(ring.sparseAccumulator(half, 1));
        assertNotNull(ring.accumulator(Fixtures.regressionMlp(DataType.DOUBLE, Fixtures.sgd(), 8)));
    }

    private static MultiLayerNetwork network(final OptimizationAlgorithm algorithm)
    {
        final MultiLayerNetwork network = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
            .optimizationAlgo(algorithm)
            .list()
            .layer(new DenseLayer.Builder().nIn(4).nOut(3).activation(Activation.TANH).build())
            .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(3).nOut(1).activation(Activation.IDENTITY).build())
            .build());
        network.init();
        return network;
    }

    private static ComputationGraph graph(final OptimizationAlgorithm algorithm)
    {
        final ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder()
            .optimizationAlgo(algorithm)
            .graphBuilder()
            .addInputs("in")
            .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(4).nOut(1)
                .activation(Activation.IDENTITY).build(), "in")
            .setOutputs("out")
            .build());
        graph.init();
        return graph;
    }

    static RingTrainingException ringFailure(final Throwable thrown)
    {
        assertNotNull(thrown, "the rank should have failed");
        for (Throwable t = thrown; t != null; t = t.getCause())
        {
            if (t instanceof RingTrainingException ring)
            {
                return ring;
            }
        }
        throw new AssertionError("no RingTrainingException in the cause chain", thrown);
    }
}
