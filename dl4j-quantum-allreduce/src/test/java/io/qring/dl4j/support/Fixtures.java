package io.qring.dl4j.support;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Small seeded models and synthetic data sets for the DL4J adapter tests. */
public final class Fixtures
{
    /** Inputs of every fixture model. */
    public static final int INPUTS = 4;

    /** Classes of the classification fixture. */
    public static final int CLASSES = 3;

    /** Seed of every model's weight initialisation. */
    public static final long MODEL_SEED = 12345L;

    private Fixtures()
    {
    }

    /** @return plain SGD with learning rate 0.05. */
    public static IUpdater sgd()
    {
        return new Sgd(0.05);
    }

    /**
     * Regression data y = w·x + 0.3·tanh(x0·x1) + noise, x ~ N(0, 1).
     *
     * @param seed data seed.
     * @param rows examples.
     * @param type dtype of features and labels.
     * @return the data set.
     */
    public static DataSet regression(final long seed, final int rows, final DataType type)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final double[][] x = new double[rows][INPUTS];
        final double[][] y = new double[rows][1];
        final double[] w = {0.7, -1.2, 0.4, 0.9};
        for (int i = 0; i < rows; i++)
        {
            double target = 0;
            for (int j = 0; j < INPUTS; j++)
            {
                x[i][j] = gaussian(random);
                target += w[j] * x[i][j];
            }
            y[i][0] = target + 0.3 * Math.tanh(x[i][0] * x[i][1]) + 0.05 * gaussian(random);
        }
        return new DataSet(Nd4j.create(x).castTo(type), Nd4j.create(y).castTo(type));
    }

    /**
     * Three Gaussian blobs in four dimensions, one-hot labels.
     *
     * @param seed data seed.
     * @param rows examples.
     * @param type dtype.
     * @return the data set.
     */
    public static DataSet classification(final long seed, final int rows, final DataType type)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final double[][] centres = {{1.5, 0, -1, 0.5}, {-1, 1.5, 0.5, -0.5}, {0, -1.2, 1, 1}};
        final double[][] x = new double[rows][INPUTS];
        final double[][] y = new double[rows][CLASSES];
        for (int i = 0; i < rows; i++)
        {
            final int label = random.nextInt(CLASSES);
            for (int j = 0; j < INPUTS; j++)
            {
                x[i][j] = centres[label][j] + 0.8 * gaussian(random);
            }
            y[i][label] = 1;
        }
        return new DataSet(Nd4j.create(x).castTo(type), Nd4j.create(y).castTo(type));
    }

    /**
     * Rows {@code [from, to)} of a data set, as a copy.
     *
     * @param data the data set.
     * @param from first row.
     * @param to   one past the last row.
     * @return the slice.
     */
    public static DataSet rows(final DataSet data, final int from, final int to)
    {
        return new DataSet(
            data.getFeatures().get(NDArrayIndex.interval(from, to), NDArrayIndex.all()).dup(),
            data.getLabels().get(NDArrayIndex.interval(from, to), NDArrayIndex.all()).dup());
    }

    /**
     * Splits a data set into consecutive batches of equal size.
     *
     * @param data      the data set; its row count must be a multiple of {@code batchSize}.
     * @param batchSize rows per batch.
     * @return the batches in order.
     */
    public static List<DataSet> batches(final DataSet data, final int batchSize)
    {
        final List<DataSet> batches = new ArrayList<>();
        for (int from = 0; from < data.numExamples(); from += batchSize)
        {
            batches.add(rows(data, from, from + batchSize));
        }
        return batches;
    }

    /**
     * A 4-{@code hidden}-1 tanh regression MLP with MSE loss.
     *
     * @param type    dtype.
     * @param updater updater.
     * @param hidden  hidden units.
     * @return an initialised network; equal arguments give equal parameters.
     */
    public static MultiLayerNetwork regressionMlp(final DataType type, final IUpdater updater, final int hidden)
    {
        return mlp(type, updater, hidden, new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(1)
            .activation(Activation.IDENTITY));
    }

    /**
     * A 4-{@code hidden}-3 softmax classifier.
     *
     * @param type    dtype.
     * @param updater updater.
     * @param hidden  hidden units.
     * @return an initialised network.
     */
    public static MultiLayerNetwork classifierMlp(final DataType type, final IUpdater updater, final int hidden)
    {
        return mlp(type, updater, hidden, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(CLASSES)
            .activation(Activation.SOFTMAX));
    }

    private static MultiLayerNetwork mlp(
        final DataType type,
        final IUpdater updater,
        final int hidden,
        final OutputLayer.Builder output)
    {
        final MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
            .seed(MODEL_SEED)
            .dataType(type)
            .updater(updater)
            .weightInit(WeightInit.XAVIER)
            .list()
            .layer(new DenseLayer.Builder().nIn(INPUTS).nOut(hidden).activation(Activation.TANH).build())
            .layer(output.nIn(hidden).build())
            .build();
        final MultiLayerNetwork network = new MultiLayerNetwork(conf);
        network.init();
        return network;
    }

    /**
     * The regression MLP as a {@link ComputationGraph}.
     *
     * @param type    dtype.
     * @param updater updater.
     * @param hidden  hidden units.
     * @return an initialised graph.
     */
    public static ComputationGraph regressionGraph(final DataType type, final IUpdater updater, final int hidden)
    {
        final ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
            .seed(MODEL_SEED)
            .dataType(type)
            .updater(updater)
            .weightInit(WeightInit.XAVIER)
            .graphBuilder()
            .addInputs("in")
            .addLayer("hidden", new DenseLayer.Builder().nIn(INPUTS).nOut(hidden).activation(Activation.TANH).build(), "in")
            .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(hidden).nOut(1)
                .activation(Activation.IDENTITY).build(), "hidden")
            .setOutputs("out")
            .build();
        final ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        return graph;
    }

    /**
     * @param actual   vector under test.
     * @param expected reference vector.
     * @return max |actual − expected| / max |expected|.
     */
    public static double relativeError(final INDArray actual, final INDArray expected)
    {
        final INDArray a = actual.castTo(DataType.DOUBLE);
        final INDArray e = expected.castTo(DataType.DOUBLE);
        return a.sub(e).amaxNumber().doubleValue() / e.amaxNumber().doubleValue();
    }

    private static double gaussian(final SplittableRandom random)
    {
        final double u1 = 1.0 - random.nextDouble();
        final double u2 = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }
}
