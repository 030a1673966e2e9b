package io.qring.it.dl4j;

import io.qring.allreduce.LocalRing;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import io.qring.allreduce.quantum.QuantumLinkSettings;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;
import io.qring.channel.noise.PauliChannel;
import io.qring.dl4j.QuantumRing;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real DL4J training over the real ring (Aeron IPC, three ranks as threads): the synchronous
 * accumulator gives bit-identical parameters on every rank, quantum links (noiseless and noisy with
 * repair) give exactly the classical ring's parameters, and plain SGD matches one process trained on
 * the concatenated minibatch.
 */
class QuantumRingTrainingTest
{
    private static final int RANKS = 3;
    private static final int ITERATIONS = 12;
    private static final int SHARD_ROWS = 32;
    private static final int INPUTS = 4;
    private static final int CLASSES = 3;
    private static final long MODEL_SEED = 12345;
    private static final double LEARNING_RATE = 0.05;
    private static final long RUN_TIMEOUT_NS = TimeUnit.MINUTES.toNanos(3);

    @Test
    void shouldTrainToTheSameBitsOverClassicalAndQuantumRingsAndMatchSingleProcessSgd()
    {
        final Training classicalRun = train(null);
        final Training quantumRun = train(QuantumLinkSettings.builder().build());
        final Training noisyRun = train(QuantumLinkSettings.builder().onlineChannel(PauliChannel.depolarizing(1e-2)).build());
        assertEquals(0, quantumRun.retransmittedQubits(), "noiseless quantum links resend nothing");
        assertTrue(noisyRun.retransmittedQubits() > 0, "the noisy links met noise and repaired it");
        final List<float[]> classical = classicalRun.params();
        final List<float[]> quantum = quantumRun.params();
        final List<float[]> noisy = noisyRun.params();

        for (int rank = 1; rank < RANKS; rank++)
        {
            assertArrayEquals(bits(classical.get(0)), bits(classical.get(rank)), "classical rank " + rank);
        }
        for (int rank = 0; rank < RANKS; rank++)
        {
            assertArrayEquals(bits(classical.get(rank)), bits(quantum.get(rank)), "quantum rank " + rank);
            assertArrayEquals(bits(classical.get(rank)), bits(noisy.get(rank)), "noisy quantum rank " + rank);
        }

        final float[] reference = trainSingleProcess();
        final float[] ring = classical.get(0);
        assertEquals(reference.length, ring.length);
        double maxRelative = 0;
        for (int i = 0; i < ring.length; i++)
        {
            maxRelative = Math.max(maxRelative, Math.abs(ring[i] - reference[i]) / Math.max(1e-3, Math.abs(reference[i])));
        }
        assertTrue(maxRelative <= 1e-5, "ring SGD differs from single-process SGD by " + maxRelative + " relative");
    }

    /** Every rank's parameters after training, and the qubits all links resent. */
    private record Training(List<float[]> params, long retransmittedQubits)
    {
    }

    private static Training train(final QuantumLinkSettings quantum)
    {
        final RingContext context = new RingContext()
            .transport(TransportKind.IPC)
            .worldSize(RANKS)
            .chunkLength(16 * 1024)
            .termLength(256 * 1024)
            .operationTimeoutNs(TimeUnit.SECONDS.toNanos(20));
        if (quantum != null)
        {
            context.linkWrapper(quantum.wrapper());
        }
        try (LocalRing ring = LocalRing.start(context))
        {
            final List<float[]> params = ring.run(allReduce ->
            {
                final MultiLayerNetwork model = model();
                final QuantumRing qring = QuantumRing.builder().allReduce(allReduce).build();
                model.setGradientsAccumulator(qring.accumulator());
                for (int iteration = 0; iteration < ITERATIONS; iteration++)
                {
                    model.fit(shard(iteration, allReduce.rank()));
                }
                return model.params().dup().toFloatVector();
            }, RUN_TIMEOUT_NS);
            long retransmitted = 0;
            for (int rank = 0; rank < RANKS; rank++)
            {
                for (final LedgerSnapshot link : ring.rank(rank).linkLedgers())
                {
                    retransmitted += link.get(LedgerCounter.RETRANSMITTED_QUBITS);
                }
            }
            return new Training(params, retransmitted);
        }
    }

    private static float[] trainSingleProcess()
    {
        final MultiLayerNetwork model = model();
        for (int iteration = 0; iteration < ITERATIONS; iteration++)
        {
            final List<DataSet> shards = new ArrayList<>();
            for (int rank = 0; rank < RANKS; rank++)
            {
                shards.add(shard(iteration, rank));
            }
            model.fit(DataSet.merge(shards));
        }
        return model.params().dup().toFloatVector();
    }

    private static MultiLayerNetwork model()
    {
        final MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
            .seed(MODEL_SEED)
            .dataType(DataType.FLOAT)
            .updater(new Sgd(LEARNING_RATE))
            .weightInit(WeightInit.XAVIER)
            .list()
            .layer(new DenseLayer.Builder().nIn(INPUTS).nOut(16).activation(Activation.TANH).build())
            .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(CLASSES)
                .activation(Activation.SOFTMAX).build())
            .build();
        final MultiLayerNetwork model = new MultiLayerNetwork(conf);
        model.init();
        return model;
    }

    /** Three Gaussian blobs; each rank's shard of one iteration is disjoint from every other. */
    private static DataSet shard(final int iteration, final int rank)
    {
        final SplittableRandom random = new SplittableRandom(1_000L * iteration + rank);
        final double[][] centres = {{1.5, 0, -1, 0.5}, {-1, 1.5, 0.5, -0.5}, {0, -1.2, 1, 1}};
        final float[][] x = new float[SHARD_ROWS][INPUTS];
        final float[][] y = new float[SHARD_ROWS][CLASSES];
        for (int i = 0; i < SHARD_ROWS; i++)
        {
            final int label = random.nextInt(CLASSES);
            for (int j = 0; j < INPUTS; j++)
            {
                x[i][j] = (float)(centres[label][j] + 0.8 * (random.nextDouble() * 2 - 1));
            }
            y[i][label] = 1;
        }
        final INDArray features = Nd4j.create(x);
        final INDArray labels = Nd4j.create(y);
        return new DataSet(features, labels);
    }

    private static int[] bits(final float[] values)
    {
        final int[] raw = new int[values.length];
        for (int i = 0; i < values.length; i++)
        {
            raw[i] = Float.floatToRawIntBits(values[i]);
        }
        return raw;
    }
}
