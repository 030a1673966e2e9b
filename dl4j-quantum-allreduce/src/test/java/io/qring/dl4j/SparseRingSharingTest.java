package io.qring.dl4j;

import io.qring.dl4j.support.CapturingStep;
import io.qring.dl4j.support.Fixtures;
import io.qring.dl4j.support.Ranks;
import io.qring.dl4j.support.ThreadedAllReduce;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.solvers.accumulation.EncodedGradientsAccumulator;
import org.deeplearning4j.optimize.solvers.accumulation.Registerable;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.FixedThresholdAlgorithm;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DL4J-native threshold/bitmap-encoded sharing carried by the ring. */
class SparseRingSharingTest
{
    private static final Duration DEADLINE = Duration.ofSeconds(90);

    /**
     * Two ranks with two local workers each. Worker w of rank r sends ±1 at its own five positions; with a
     * fixed threshold of 0.5 DL4J's first (bitmap) message carries ±0.5 there. Every worker must then apply
     * exactly the sum of all four messages, each once: every rank's, its own included, arrive through the ring
     * and the IndexedTail.
     */
    @Test
    void shouldDeliverEveryEncodedUpdateToEveryWorkerOfEveryRankOnce()
    {
        final int worldSize = 2;
        final int workers = 2;
        final int length = 64;
        final double threshold = 0.5;
        final List<ThreadedAllReduce> ring = ThreadedAllReduce.ring(worldSize, DEADLINE);

        final double[] expected = new double[length];
        for (int sender = 0; sender < worldSize * workers; sender++)
        {
            for (int k = 0; k < 5; k++)
            {
                expected[position(sender, k)] = sign(sender, k) * threshold;
            }
        }

        final List<List<double[]>> applied = Ranks.run(worldSize, DEADLINE, rank ->
        {
            final EncodedGradientsAccumulator accumulator = QuantumRing.builder().allReduce(ring.get(rank)).build()
                .sparseAccumulator(length, workers, new FixedThresholdAlgorithm(threshold), null);
            ((Registerable)accumulator).registerConsumers(workers);
            return Ranks.run(workers, DEADLINE, worker ->
            {
                final int sender = rank * workers + worker;
                final INDArray update = Nd4j.create(DataType.FLOAT, length);
                for (int k = 0; k < 5; k++)
                {
                    update.putScalar(position(sender, k), sign(sender, k));
                }
                final CapturingStep step = new CapturingStep();
                accumulator.storeUpdate(update, 0, 0);
                accumulator.applyUpdate(step, Nd4j.create(DataType.FLOAT, length), Nd4j.create(DataType.FLOAT, length), true);
                return step.captured();
            });
        });

        int seen = 0;
        for (final List<double[]> rank : applied)
        {
            for (final double[] worker : rank)
            {
                assertArrayEquals(expected, worker);
                seen++;
            }
        }
        assertEquals(worldSize * workers, seen);
        assertEquals(2, ring.get(0).allGatherCalls(), "handshake plus one exchange");
    }

    /**
     * The same model, data, learning rate and total number of workers (2), trained by DL4J's own
     * ParallelWrapper SHARED_GRADIENTS and by two ranks sharing through the ring, each with DL4J's default
     * adaptive threshold. Both reach the same loss band on the whole data set: within 2 % of DL4J's loss, an
     * empirical band (DL4J's run depends on its workers' thread timing, so its loss is not reproducible from the
     * seed; the band held in every CI run), while the ring ranks end with the same loss. (One ParallelWrapper.fit call
     * for all epochs, under a deadline: in M2.1 a later fit can deadlock, because the first one clears the
     * root model's solver and worker 1 then needs the root model's monitor while worker 0 trains under it.)
     */
    @Test
    void shouldTrainToTheLossBandOfDl4jSharedGradients()
    {
        final int worldSize = 2;
        final int batch = 16;
        final int rounds = 20;
        final int epochs = 4;
        final DataType type = DataType.FLOAT;
        final DataSet data = Fixtures.classification(23, worldSize * batch * rounds, type);
        final List<DataSet> batches = Fixtures.batches(data, batch);
        final double initialLoss = classifier().score(data);

        final List<DataSet> allEpochs = new ArrayList<>();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            allEpochs.addAll(batches);
        }
        final MultiLayerNetwork dl4j = classifier();
        Ranks.run(1, DEADLINE, ignored ->
        {
            final ParallelWrapper wrapper = new ParallelWrapper.Builder<>(dl4j)
                .workers(worldSize)
                .prefetchBuffer(0)
                .trainingMode(ParallelWrapper.TrainingMode.SHARED_GRADIENTS)
                .build();
            try
            {
                wrapper.fit(new ListDataSetIterator<>(allEpochs, 1));
            }
            finally
            {
                wrapper.shutdown();
            }
            return dl4j;
        });
        final double dl4jLoss = dl4j.score(data);

        final List<ThreadedAllReduce> ring = ThreadedAllReduce.ring(worldSize, DEADLINE);
        final List<Double> ringLosses = Ranks.run(worldSize, DEADLINE, rank ->
        {
            final MultiLayerNetwork network = classifier();
            network.setGradientsAccumulator(QuantumRing.builder().allReduce(ring.get(rank)).build().sparseAccumulator(network, 1));
            final List<DataSet> mine = new ArrayList<>();
            for (int i = rank; i < batches.size(); i += worldSize)
            {
                mine.add(batches.get(i));
            }
            for (int epoch = 0; epoch < epochs; epoch++)
            {
                mine.forEach(network::fit);
            }
            return network.score(data);
        });

        assertTrue(dl4jLoss < 0.5 * initialLoss, () -> "DL4J SHARED_GRADIENTS loss " + dl4jLoss + " from " + initialLoss);
        assertEquals(ringLosses.get(0), ringLosses.get(1), "the ring ranks end with the same loss");
        for (final double ringLoss : ringLosses)
        {
            assertTrue(ringLoss < 0.5 * initialLoss, () -> "ring loss " + ringLoss + " from " + initialLoss);
            assertTrue(Math.abs(ringLoss - dl4jLoss) <= 0.02 * dl4jLoss,
                () -> "ring loss " + ringLoss + " vs DL4J SHARED_GRADIENTS " + dl4jLoss + " from " + initialLoss);
        }
    }

    /**
     * Every rank adds every rank's encoded updates, its own included, in rank order, so three ranks training
     * on different shards end with bit-identical parameters. Each rank encodes with its own threshold, so the
     * order of the additions matters in float (DL4J's loop-back would add a rank's own update first).
     */
    @Test
    void shouldKeepReplicasBitIdentical()
    {
        final int worldSize = 3;
        final double[] thresholds = {1.1e-3, 1.3e-3, 1.7e-3};
        final List<DataSet> batches = Fixtures.batches(Fixtures.classification(31, worldSize * 16 * 12, DataType.FLOAT), 16);
        final List<ThreadedAllReduce> ring = ThreadedAllReduce.ring(worldSize, DEADLINE);

        final List<INDArray> params = Ranks.run(worldSize, DEADLINE, rank ->
        {
            final MultiLayerNetwork network = classifier();
            network.setGradientsAccumulator(QuantumRing.builder().allReduce(ring.get(rank)).build()
                .sparseAccumulator(network.numParams(), 1, new FixedThresholdAlgorithm(thresholds[rank]), null));
            for (int i = rank; i < batches.size(); i += worldSize)
            {
                network.fit(batches.get(i));
            }
            return network.params().dup();
        });

        assertTrue(params.get(0).sub(classifier().params()).amaxNumber().doubleValue() > 0, "the replicas trained");
        SynchronousRingTrainingTest.assertBitIdentical(params);
    }

    /**
     * Two ranks, each a ParallelWrapper with two workers in CUSTOM mode: four workers share encoded updates
     * through the ring once per round, and the ranks end with bit-identical parameters.
     */
    @Test
    void shouldTrainWithParallelWrapperWorkersOnEveryRank()
    {
        final int worldSize = 2;
        final int workers = 2;
        final int batch = 16;
        final int rounds = 20;
        final DataSet data = Fixtures.classification(29, worldSize * workers * batch * rounds, DataType.FLOAT);
        final List<DataSet> batches = Fixtures.batches(data, batch);
        final double initialLoss = classifier().score(data);
        final List<ThreadedAllReduce> ring = ThreadedAllReduce.ring(worldSize, DEADLINE);

        final List<MultiLayerNetwork> networks = Ranks.run(worldSize, DEADLINE, rank ->
        {
            final List<DataSet> mine = new ArrayList<>();
            for (int epoch = 0; epoch < 3; epoch++)
            {
                for (int i = rank * workers; i < batches.size(); i += worldSize * workers)
                {
                    mine.add(batches.get(i));
                    mine.add(batches.get(i + 1));
                }
            }
            final MultiLayerNetwork network = classifier();
            SynchronousRingTrainingTest.fitWithParallelWrapper(network, workers,
                QuantumRing.builder().allReduce(ring.get(rank)).build().sparseAccumulator(network, workers), mine);
            return network;
        });

        for (final MultiLayerNetwork network : networks)
        {
            final double loss = network.score(data);
            assertTrue(loss < 0.6 * initialLoss, () -> "loss " + loss + " from " + initialLoss);
        }
        SynchronousRingTrainingTest.assertBitIdentical(networks.stream().map(network -> network.params().dup()).toList());
        assertEquals(1 + 3 * rounds, ring.get(0).allGatherCalls(), "handshake plus one exchange per round");
    }

    private static MultiLayerNetwork classifier()
    {
        return Fixtures.classifierMlp(DataType.FLOAT, new Sgd(0.1), 16);
    }

    private static int position(final int sender, final int k)
    {
        return sender * 5 + k * 3 % 5 + (sender % 2) * 40;
    }

    private static int sign(final int sender, final int k)
    {
        return (sender + k) % 2 == 0 ? 1 : -1;
    }
}
