package io.qring.dl4j;

import io.qring.dl4j.support.CapturingStep;
import io.qring.dl4j.support.Fixtures;
import io.qring.dl4j.support.RecordingAccumulator;
import io.qring.dl4j.support.Ranks;
import io.qring.dl4j.support.ThreadedAllReduce;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.solvers.accumulation.GradientsAccumulator;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Synchronous ring training against single-process DL4J training on the concatenated minibatch.
 * Tolerance: 1e-5 of the largest parameter magnitude (max-norm relative error) after 10 SGD iterations;
 * the only differences are the float summation orders of the minibatch gradient (per shard, then averaged,
 * versus over the whole batch).
 */
class SynchronousRingTrainingTest
{
    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static final int ITERATIONS = 10;
    private static final int HIDDEN = 8;
    /** Relative error a float run may differ from the reference by: summation order at float precision. */
    private static final double TOLERANCE = 1e-5;
    /** The same at double precision: a run that rounded through floats anywhere would miss it by 1e-7 or more. */
    private static final double DOUBLE_TOLERANCE = 1e-12;

    private static double tolerance(final DataType type)
    {
        return DataType.DOUBLE == type ? DOUBLE_TOLERANCE : TOLERANCE;
    }

    @ParameterizedTest
    @CsvSource({"2,FLOAT", "4,FLOAT", "2,DOUBLE", "4,DOUBLE"})
    void shouldKeepRanksBitIdenticalAndMatchFullBatchSgd(final int worldSize, final DataType type)
    {
        final int globalBatch = 32;
        final List<DataSet> batches = Fixtures.batches(Fixtures.regression(7, globalBatch * ITERATIONS, type), globalBatch);
        final List<ThreadedAllReduce> ring = ThreadedAllReduce.ring(worldSize, DEADLINE);
        final int shard = globalBatch / worldSize;

        final List<INDArray> params = Ranks.run(worldSize, DEADLINE, rank ->
        {
            final MultiLayerNetwork network = Fixtures.regressionMlp(type, Fixtures.sgd(), HIDDEN);
            final QuantumRingGradientsAccumulator accumulator = QuantumRing.builder().allReduce(ring.get(rank)).build().accumulator();
            network.setGradientsAccumulator(accumulator);
            for (final DataSet batch : batches)
            {
                network.fit(Fixtures.rows(batch, rank * shard, (rank + 1) * shard));
            }
            assertEquals(ITERATIONS, accumulator.exchanges());
            return network.params().dup();
        });

        final MultiLayerNetwork reference = Fixtures.regressionMlp(type, Fixtures.sgd(), HIDDEN);
        final INDArray initial = reference.params().dup();
        batches.forEach(reference::fit);

        assertBitIdentical(params);
        assertTrue(Fixtures.relativeError(params.get(0), reference.params()) <= tolerance(type),
            () -> "relative error " + Fixtures.relativeError(params.get(0), reference.params()));
        assertTrue(Fixtures.relativeError(reference.params(), initial) > 1e-2, "training moved the parameters");
        assertEquals(ITERATIONS, ring.get(0).allReduceCalls());
        assertEquals(1, ring.get(0).allGatherCalls(), "one handshake");
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void shouldTrainComputationGraphLikeFullBatchSgd(final DataType type)
    {
        final int worldSize = 2;
        final int globalBatch = 32;
        final List<DataSet> batches = Fixtures.batches(Fixtures.regression(11, globalBatch * ITERATIONS, type), globalBatch);
        final List<ThreadedAllReduce> ring = ThreadedAllReduce.ring(worldSize, DEADLINE);
        final int shard = globalBatch / worldSize;

        final List<INDArray> params = Ranks.run(worldSize, DEADLINE, rank ->
        {
            final ComputationGraph graph = Fixtures.regressionGraph(type, Fixtures.sgd(), HIDDEN);
            graph.setGradientsAccumulator(QuantumRing.builder().allReduce(ring.get(rank)).build().accumulator());
            for (final DataSet batch : batches)
            {
                graph.fit(Fixtures.rows(batch, rank * shard, (rank + 1) * shard));
            }
            return graph.params().dup();
        });

        final ComputationGraph reference = Fixtures.regressionGraph(type, Fixtures.sgd(), HIDDEN);
        batches.forEach(reference::fit);

        assertBitIdentical(params);
        assertTrue(Fixtures.relativeError(params.get(0), reference.params()) <= tolerance(type),
            () -> "relative error " + Fixtures.relativeError(params.get(0), reference.params()));
    }

    /**
     * DL4J hands the accumulator the update <em>after</em> the updater, so with Adam every rank takes its own
     * Adam step from its own gradient and moments and the ring averages those steps. The reference below
     * reproduces exactly that (per-shard models with their own Adam state, parameters reset to the common
     * average after each step), and full-batch Adam is shown to be a different trajectory.
     */
    @Test
    void shouldAverageEachRanksAdamStepRatherThanTakeTheAdamStepOfTheAverageGradient()
    {
        final int worldSize = 2;
        final int globalBatch = 32;
        final int iterations = 5;
        final double learningRate = 0.01;
        final DataType type = DataType.DOUBLE;
        final List<DataSet> batches = Fixtures.batches(Fixtures.regression(13, globalBatch * iterations, type), globalBatch);
        final List<ThreadedAllReduce> ring = ThreadedAllReduce.ring(worldSize, DEADLINE);
        final int shard = globalBatch / worldSize;

        final List<INDArray> params = Ranks.run(worldSize, DEADLINE, rank ->
        {
            final MultiLayerNetwork network = Fixtures.regressionMlp(type, new Adam(learningRate), HIDDEN);
            network.setGradientsAccumulator(QuantumRing.builder().allReduce(ring.get(rank)).build().accumulator());
            for (final DataSet batch : batches)
            {
                network.fit(Fixtures.rows(batch, rank * shard, (rank + 1) * shard));
            }
            return network.params().dup();
        });

        final List<MultiLayerNetwork> shardModels = new ArrayList<>();
        for (int r = 0; r < worldSize; r++)
        {
            shardModels.add(Fixtures.regressionMlp(type, new Adam(learningRate), HIDDEN));
        }
        INDArray common = shardModels.get(0).params().dup();
        for (final DataSet batch : batches)
        {
            INDArray sum = null;
            for (int r = 0; r < worldSize; r++)
            {
                final MultiLayerNetwork model = shardModels.get(r);
                model.setParams(common.dup());
                model.fit(Fixtures.rows(batch, r * shard, (r + 1) * shard));
                sum = sum == null ? model.params().dup() : sum.addi(model.params());
            }
            common = sum.divi(worldSize);
        }
        final MultiLayerNetwork fullBatchAdam = Fixtures.regressionMlp(type, new Adam(learningRate), HIDDEN);
        batches.forEach(fullBatchAdam::fit);

        final INDArray averagedLocalSteps = common;
        assertBitIdentical(params);
        assertTrue(Fixtures.relativeError(params.get(0), averagedLocalSteps) <= DOUBLE_TOLERANCE,
            () -> "relative error to averaged local Adam steps " + Fixtures.relativeError(params.get(0), averagedLocalSteps));
        final double fromFullBatch = params.get(0).sub(fullBatchAdam.params()).amaxNumber().doubleValue();
        assertTrue(fromFullBatch > 0.1 * learningRate,
            () -> "full-batch Adam differs by only " + fromFullBatch);
    }

    @Test
    void shouldAverageParallelWrapperWorkersLikeFullBatchSgd() throws Exception
    {
        final int workers = 2;
        final int workerBatch = 16;
        final DataType type = DataType.FLOAT;
        final DataSet data = Fixtures.regression(17, workers * workerBatch * ITERATIONS, type);
        final ThreadedAllReduce ring = ThreadedAllReduce.ring(1, DEADLINE).get(0);
        final MultiLayerNetwork model = Fixtures.regressionMlp(type, Fixtures.sgd(), HIDDEN);
        final QuantumRingGradientsAccumulator accumulator = QuantumRing.builder().allReduce(ring).build().accumulator();
        final RecordingAccumulator recorder = new RecordingAccumulator(accumulator);

        fitWithParallelWrapper(model, workers, recorder, Fixtures.batches(data, workerBatch));

        final MultiLayerNetwork reference = Fixtures.regressionMlp(type, Fixtures.sgd(), HIDDEN);
        Fixtures.batches(data, workers * workerBatch).forEach(reference::fit);

        assertEquals(List.of(ITERATIONS, ITERATIONS), recorder.appliedCounts());
        assertBitIdentical(recorder.latestParams());
        assertTrue(Fixtures.relativeError(model.params(), reference.params()) <= tolerance(type),
            () -> "relative error " + Fixtures.relativeError(model.params(), reference.params()));
        assertEquals(ITERATIONS, accumulator.exchanges());
        assertEquals(ITERATIONS, ring.allReduceCalls(), "one ring exchange per iteration for both workers");
    }

    @Test
    void shouldCombineWorkersLocallyThenAcrossRanks()
    {
        final int worldSize = 2;
        final int workers = 2;
        final int workerBatch = 16;
        final int globalBatch = worldSize * workers * workerBatch;
        final DataType type = DataType.FLOAT;
        final List<DataSet> globalBatches = Fixtures.batches(Fixtures.regression(19, globalBatch * ITERATIONS, type), globalBatch);
        final List<ThreadedAllReduce> ring = ThreadedAllReduce.ring(worldSize, DEADLINE);

        final List<List<INDArray>> perRank = Ranks.run(worldSize, DEADLINE, rank ->
        {
            final List<DataSet> mine = new ArrayList<>();
            for (final DataSet batch : globalBatches)
            {
                final int from = rank * workers * workerBatch;
                mine.add(Fixtures.rows(batch, from, from + workerBatch));
                mine.add(Fixtures.rows(batch, from + workerBatch, from + 2 * workerBatch));
            }
            final MultiLayerNetwork model = Fixtures.regressionMlp(type, Fixtures.sgd(), HIDDEN);
            final RecordingAccumulator recorder =
                new RecordingAccumulator(QuantumRing.builder().allReduce(ring.get(rank)).build().accumulator(model));
            fitWithParallelWrapper(model, workers, recorder, mine);
            assertEquals(List.of(ITERATIONS, ITERATIONS), recorder.appliedCounts());
            return recorder.latestParams();
        });

        final MultiLayerNetwork reference = Fixtures.regressionMlp(type, Fixtures.sgd(), HIDDEN);
        globalBatches.forEach(reference::fit);

        final List<INDArray> all = new ArrayList<>();
        perRank.forEach(all::addAll);
        assertEquals(worldSize * workers, all.size());
        assertBitIdentical(all);
        assertTrue(Fixtures.relativeError(all.get(0), reference.params()) <= tolerance(type),
            () -> "relative error " + Fixtures.relativeError(all.get(0), reference.params()));
        for (final ThreadedAllReduce endpoint : ring)
        {
            assertEquals(ITERATIONS, endpoint.allReduceCalls(), "one ring exchange per iteration per rank");
        }
    }

    /**
     * Rank 0 trains with one thread, rank 1 with two workers: every one of the three updates weighs 1/3, and
     * all three workers step with the same bits. Updates are exact binary fractions, so the expected
     * average is exact.
     */
    @Test
    void shouldWeightEveryWorkerEquallyWhenRanksHaveDifferentWorkerCounts()
    {
        final List<ThreadedAllReduce> ring = ThreadedAllReduce.ring(2, DEADLINE);
        final double[][] updates = {{3, 0, -6, 1.5}, {0, 3, 3, 0}, {-3, 6, 0, 3}};
        final double[] expected = {0, 3, -1, 1.5};

        final List<List<double[]>> applied = Ranks.run(2, DEADLINE, rank ->
        {
            final QuantumRingGradientsAccumulator accumulator = QuantumRing.builder().allReduce(ring.get(rank)).build().accumulator();
            final int workers = rank + 1;
            accumulator.registerConsumers(workers);
            return Ranks.run(workers, DEADLINE, worker ->
            {
                final CapturingStep step = new CapturingStep();
                accumulator.storeUpdate(Nd4j.createFromArray(updates[rank + worker]).castTo(DataType.FLOAT), 0, 0);
                accumulator.applyUpdate(step, Nd4j.create(DataType.FLOAT, 4), null, true);
                return step.captured();
            });
        });

        assertArrayEquals(expected, applied.get(0).get(0));
        assertArrayEquals(expected, applied.get(1).get(0));
        assertArrayEquals(expected, applied.get(1).get(1));
    }

    /**
     * Trains with ParallelWrapper in CUSTOM mode, one batch per worker per round. No listeners: they need
     * deeplearning4j-core's RoutingIterationListener class, which this project keeps off the classpath.
     */
    static void fitWithParallelWrapper(
        final Model model,
        final int workers,
        final GradientsAccumulator accumulator,
        final List<DataSet> workerBatches)
    {
        final ParallelWrapper wrapper = new ParallelWrapper.Builder<>(model)
            .workers(workers)
            .prefetchBuffer(0)
            .trainingMode(ParallelWrapper.TrainingMode.CUSTOM)
            .gradientsAccumulator(accumulator)
            .build();
        try
        {
            wrapper.fit(new ListDataSetIterator<>(workerBatches, 1));
        }
        finally
        {
            wrapper.shutdown();
        }
    }

    static void assertBitIdentical(final List<INDArray> params)
    {
        final double[] first = params.get(0).castTo(DataType.DOUBLE).data().asDouble();
        for (int r = 1; r < params.size(); r++)
        {
            assertArrayEquals(first, params.get(r).castTo(DataType.DOUBLE).data().asDouble(), "replica " + r + " differs");
        }
    }
}
