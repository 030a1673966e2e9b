package io.qring.dl4j;

import io.qring.allreduce.AllReduce;
import io.qring.allreduce.LocalRing;
import io.qring.allreduce.ReduceOp;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import io.qring.dl4j.support.CapturingStep;
import io.qring.dl4j.support.Fixtures;
import io.qring.dl4j.support.Ranks;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.time.Duration;
import java.util.List;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Non-finite updates on the real ring (in-memory transport) with the ring's default non-finite policy,
 * {@code REJECT}: the accumulator must never hand the ring a NaN or an infinity, so that its own policy
 * decides, the same way on every rank.
 */
class RingNonFiniteUpdateTest
{
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final int WORLD = 2;
    private static final int SHARD = 16;

    private LocalRing ring;

    @BeforeEach
    void startRing()
    {
        final RingContext context = new RingContext().transport(TransportKind.IN_MEMORY).worldSize(WORLD);
        assertEquals(RingContext.DEFAULT_NON_FINITE_POLICY, context.nonFinitePolicy());
        ring = LocalRing.start(context);
    }

    @AfterEach
    void closeRing()
    {
        ring.close();
    }

    @Test
    void shouldSkipANonFiniteIterationOnEveryRankOfARingThatRejectsNonFiniteInputs()
    {
        assertSkipsThePoisonedIterationOnEveryRank(ring::rank);
    }

    /**
     * Two ranks train three iterations of SGD under {@link NonFiniteUpdatePolicy#SKIP_WITH_WARNING}; rank 1's
     * input of the second iteration holds a NaN. Every rank skips that iteration alone, ends with the same
     * parameters, and those match one process training on the other iterations' whole batches.
     *
     * @param rankRing each rank's all-reduce.
     */
    static void assertSkipsThePoisonedIterationOnEveryRank(final IntFunction<AllReduce> rankRing)
    {
        final int iterations = 3;
        final int poisoned = 1;
        final List<DataSet> batches = Fixtures.batches(Fixtures.regression(5, WORLD * SHARD * iterations, DataType.FLOAT), WORLD * SHARD);

        final List<INDArray> params = Ranks.run(WORLD, DEADLINE, rank ->
        {
            final MultiLayerNetwork network = Fixtures.regressionMlp(DataType.FLOAT, Fixtures.sgd(), 8);
            final QuantumRingGradientsAccumulator accumulator = QuantumRing.builder()
                .allReduce(rankRing.apply(rank))
                .nonFiniteUpdatePolicy(NonFiniteUpdatePolicy.SKIP_WITH_WARNING)
                .build()
                .accumulator(network);
            network.setGradientsAccumulator(accumulator);
            for (int i = 0; i < iterations; i++)
            {
                final DataSet shard = Fixtures.rows(batches.get(i), rank * SHARD, (rank + 1) * SHARD);
                if (i == poisoned && rank == 1)
                {
                    shard.getFeatures().putScalar(0, 0, Float.NaN);
                }
                network.fit(shard);
            }
            assertEquals(1, accumulator.skippedIterations(), "rank " + rank);
            assertEquals(iterations - 1, accumulator.exchanges(), "rank " + rank);
            return network.params().dup();
        });

        final MultiLayerNetwork reference = Fixtures.regressionMlp(DataType.FLOAT, Fixtures.sgd(), 8);
        for (int i = 0; i < iterations; i++)
        {
            if (i != poisoned)
            {
                reference.fit(batches.get(i));
            }
        }
        SynchronousRingTrainingTest.assertBitIdentical(params);
        assertTrue(Fixtures.relativeError(params.get(0), reference.params()) <= 1e-5,
            () -> "relative error " + Fixtures.relativeError(params.get(0), reference.params()));
    }

    /**
     * Rank 1's two workers send finite updates whose local sum overflows float; rank 0's worker sends a
     * finite one. Every worker of every rank skips, then the next iteration averages normally.
     */
    @Test
    void shouldSkipOnEveryRankWhenALocalSumOverflows()
    {
        final float big = 3e38f;
        final float[][][] updates = {
            {{1, 2, 3, 4}, {3, 0, -6, 1.5f}},
            {{big, 0, 0, 0}, {0, 3, 3, 0}},
            {{big, 0, 0, 0}, {-3, 6, 0, 3}}};
        final double[] secondAverage = {0, 3, -1, 1.5};

        final List<List<double[][]>> applied = Ranks.run(WORLD, DEADLINE, rank ->
        {
            final QuantumRingGradientsAccumulator accumulator = QuantumRing.builder()
                .allReduce(ring.rank(rank))
                .nonFiniteUpdatePolicy(NonFiniteUpdatePolicy.SKIP_WITH_WARNING)
                .build()
                .accumulator();
            final int workers = rank + 1;
            accumulator.registerConsumers(workers);
            final List<double[][]> steps = Ranks.run(workers, DEADLINE, worker ->
            {
                final double[][] captured = new double[2][];
                for (int iteration = 0; iteration < 2; iteration++)
                {
                    final CapturingStep step = new CapturingStep();
                    accumulator.storeUpdate(Nd4j.createFromArray(updates[rank + worker][iteration]), iteration, 0);
                    accumulator.applyUpdate(step, Nd4j.create(DataType.FLOAT, 4), null, true);
                    captured[iteration] = step.captured();
                }
                return captured;
            });
            assertEquals(1, accumulator.skippedIterations(), "rank " + rank);
            assertEquals(1, accumulator.exchanges(), "rank " + rank);
            return steps;
        });

        for (final List<double[][]> rank : applied)
        {
            for (final double[][] worker : rank)
            {
                assertNull(worker[0], "the overflowing iteration is skipped");
                assertArrayEquals(secondAverage, worker[1]);
            }
        }
    }

    @Test
    void shouldFailANonFiniteIterationOnEveryRankWithThePolicyNamedAndKeepTheRingUsable()
    {
        assertFailsTheInfiniteIterationOnEveryRank(ring::rank);
        final List<double[]> sums = Ranks.run(WORLD, DEADLINE, rank ->
        {
            final double[] values = {rank + 1.0, 2.0};
            ring.rank(rank).allReduce(values, ReduceOp.SUM);
            return values;
        });
        assertArrayEquals(new double[] {3.0, 4.0}, sums.get(0), "the ring goes on after the failed iteration");
    }

    /**
     * Two ranks train one iteration under {@link NonFiniteUpdatePolicy#FAIL}; rank 0's input holds an
     * infinity. Every rank fails with the accumulator's own error, naming the policy and the count of
     * non-finite worker updates, not with an error of the ring.
     *
     * @param rankRing each rank's all-reduce.
     */
    static void assertFailsTheInfiniteIterationOnEveryRank(final IntFunction<AllReduce> rankRing)
    {
        final DataSet data = Fixtures.regression(9, WORLD * SHARD, DataType.DOUBLE);

        final List<Ranks.Outcome<Integer>> outcomes = Ranks.runCollecting(WORLD, DEADLINE, rank ->
        {
            final MultiLayerNetwork network = Fixtures.regressionMlp(DataType.DOUBLE, Fixtures.sgd(), 8);
            network.setGradientsAccumulator(QuantumRing.builder()
                .allReduce(rankRing.apply(rank))
                .nonFiniteUpdatePolicy(NonFiniteUpdatePolicy.FAIL)
                .build()
                .accumulator(network));
            final DataSet shard = Fixtures.rows(data, rank * SHARD, (rank + 1) * SHARD);
            if (rank == 0)
            {
                shard.getFeatures().putScalar(3, 2, Double.POSITIVE_INFINITY);
            }
            network.fit(shard);
            return network.getIterationCount();
        });

        for (int rank = 0; rank < WORLD; rank++)
        {
            final RingTrainingException failure = BadInputTest.ringFailure(outcomes.get(rank).failure());
            final String message = failure.getMessage();
            assertTrue(message.contains("1 of 2 worker updates contain NaN or infinity (" + (rank == 0 ? 1 : 0) + " on this rank)"), message);
            assertTrue(message.contains("non-finite update policy FAIL"), message);
            assertNull(failure.getCause(), "decided by the accumulator, not by the ring's own non-finite policy");
        }
    }
}
