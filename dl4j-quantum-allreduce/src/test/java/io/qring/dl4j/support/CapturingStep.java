package io.qring.dl4j.support;

import org.deeplearning4j.optimize.api.StepFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A step function that leaves the parameters alone and records the update it is asked to apply. */
public final class CapturingStep implements StepFunction
{
    private double[] captured;

    /** @return the last update, as doubles, or {@code null} when no step was made. */
    public double[] captured()
    {
        return captured;
    }

    @Override
    public void step(final INDArray x, final INDArray line, final double step)
    {
        captured = line.castTo(DataType.DOUBLE).dup().data().asDouble();
    }

    @Override
    public void step(final INDArray x, final INDArray line)
    {
        step(x, line, 1.0);
    }

    @Override
    public void step()
    {
        throw new UnsupportedOperationException();
    }
}
