package io.qring.samples.training;

import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;

/** The optimisers the samples offer. */
public enum UpdaterKind
{
    /**
     * SGD with Nesterov momentum 0.9: linear in the gradient, so synchronous averaging of the ranks'
     * updates equals one step on the combined minibatch.
     */
    NESTEROVS,
    /** Adam: each rank keeps its own moments; synchronous mode averages the ranks' Adam steps. */
    ADAM;

    /** Momentum of {@link #NESTEROVS}. */
    public static final double MOMENTUM = 0.9;

    /**
     * @param learningRate the learning rate.
     * @return DL4J's updater configuration.
     */
    public IUpdater updater(final double learningRate)
    {
        return switch (this)
        {
            case NESTEROVS -> new Nesterovs(learningRate, MOMENTUM);
            case ADAM -> new Adam(learningRate);
        };
    }
}
