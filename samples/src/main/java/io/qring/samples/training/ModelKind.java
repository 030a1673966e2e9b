package io.qring.samples.training;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.Arrays;

/**
 * The models the samples train. Built from a seed, so every rank starts from identical parameters.
 */
public enum ModelKind
{
    /** A multilayer perceptron for flat inputs (MNIST): inputs, {@value #MLP_HIDDEN} ReLU units, softmax. */
    MLP,
    /**
     * A small convolutional network for {@code [channels, height, width]} images (CIFAR-10): two 3×3
     * convolutions ({@value #CNN_FILTERS_1} and {@value #CNN_FILTERS_2} filters, ReLU) each followed by 2×2
     * max pooling, {@value #CNN_DENSE} dense ReLU units, softmax.
     */
    CNN;

    /** Hidden units of the MLP. */
    public static final int MLP_HIDDEN = 256;
    /** Filters of the CNN's first convolution. */
    public static final int CNN_FILTERS_1 = 16;
    /** Filters of the CNN's second convolution. */
    public static final int CNN_FILTERS_2 = 32;
    /** Dense units of the CNN. */
    public static final int CNN_DENSE = 64;
    /** L2 weight decay of every model. */
    public static final double L2 = 1e-4;

    /**
     * @param exampleShape shape of one example: {@code {features}} for the MLP, {@code {channels, height, width}} for the CNN.
     * @param classes      number of classes.
     * @param updater      the optimiser.
     * @param seed         seed of the weight initialisation.
     * @return an initialised network.
     * @throws IllegalArgumentException if the example shape does not suit the model.
     */
    public MultiLayerNetwork create(final int[] exampleShape, final int classes, final IUpdater updater, final long seed)
    {
        final NeuralNetConfiguration.ListBuilder layers = new NeuralNetConfiguration.Builder()
            .seed(seed)
            .updater(updater)
            .weightInit(WeightInit.XAVIER)
            .l2(L2)
            .list();
        final MultiLayerConfiguration configuration = switch (this)
        {
            case MLP ->
            {
                final int inputs = Arrays.stream(exampleShape).reduce(1, Math::multiplyExact);
                yield layers
                    .layer(new DenseLayer.Builder().nIn(inputs).nOut(MLP_HIDDEN).activation(Activation.RELU).build())
                    .layer(output(classes).nIn(MLP_HIDDEN).build())
                    .build();
            }
            case CNN ->
            {
                if (exampleShape.length != 3)
                {
                    throw new IllegalArgumentException("the CNN needs [channels, height, width] examples, got " +
                        Arrays.toString(exampleShape));
                }
                yield layers
                    .layer(new ConvolutionLayer.Builder(3, 3).nOut(CNN_FILTERS_1).activation(Activation.RELU).build())
                    .layer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                    .layer(new ConvolutionLayer.Builder(3, 3).nOut(CNN_FILTERS_2).activation(Activation.RELU).build())
                    .layer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                    .layer(new DenseLayer.Builder().nOut(CNN_DENSE).activation(Activation.RELU).build())
                    .layer(output(classes).build())
                    .setInputType(InputType.convolutional(exampleShape[1], exampleShape[2], exampleShape[0]))
                    .build();
            }
        };
        final MultiLayerNetwork network = new MultiLayerNetwork(configuration);
        network.init();
        return network;
    }

    /**
     * @param exampleShape shape of one example.
     * @param classes      number of classes.
     * @return a short description, e.g. {@code "MLP 784-256-10 (ReLU, softmax)"}.
     */
    public String describe(final int[] exampleShape, final int classes)
    {
        return switch (this)
        {
            case MLP -> "MLP " + Arrays.stream(exampleShape).reduce(1, Math::multiplyExact) + "-" + MLP_HIDDEN + "-" + classes +
                " (ReLU, softmax, L2 " + L2 + ")";
            case CNN -> "CNN " + Arrays.toString(exampleShape) + " conv3x3x" + CNN_FILTERS_1 + "-pool-conv3x3x" + CNN_FILTERS_2 +
                "-pool-dense" + CNN_DENSE + "-" + classes + " (ReLU, softmax, L2 " + L2 + ")";
        };
    }

    private static OutputLayer.Builder output(final int classes)
    {
        return new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(classes).activation(Activation.SOFTMAX);
    }
}
