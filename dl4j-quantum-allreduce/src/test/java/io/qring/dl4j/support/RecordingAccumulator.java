package io.qring.dl4j.support;

import org.deeplearning4j.optimize.api.StepFunction;
import org.deeplearning4j.optimize.solvers.accumulation.GradientsAccumulator;
import org.deeplearning4j.optimize.solvers.accumulation.IndexedTail;
import org.deeplearning4j.optimize.solvers.accumulation.Registerable;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Forwards everything to an accumulator and remembers, per training thread, the parameters after its
 * latest {@code applyUpdate} and how many it made. ParallelWrapper cannot take training listeners
 * without deeplearning4j-core on the classpath, so tests observe its workers here.
 */
public final class RecordingAccumulator implements GradientsAccumulator, Registerable
{
    private final GradientsAccumulator delegate;
    private final Map<Thread, INDArray> latest = new ConcurrentHashMap<>();
    private final Map<Thread, Integer> applied = new ConcurrentHashMap<>();

    /**
     * @param delegate the accumulator under test; must also be {@link Registerable}.
     */
    public RecordingAccumulator(final GradientsAccumulator delegate)
    {
        this.delegate = delegate;
    }

    /** @return each worker thread's latest parameters, in no particular order. */
    public List<INDArray> latestParams()
    {
        return new ArrayList<>(latest.values());
    }

    /** @return how many updates each worker thread applied, in no particular order. */
    public List<Integer> appliedCounts()
    {
        return new ArrayList<>(applied.values());
    }

    @Override
    public void applyUpdate(final StepFunction function, final INDArray params, final INDArray updates, final boolean isFinalStep)
    {
        delegate.applyUpdate(function, params, updates, isFinalStep);
        record(params);
    }

    @Override
    public void applyUpdate(final StepFunction function, final INDArray params, final INDArray updates, final double alpha)
    {
        delegate.applyUpdate(function, params, updates, alpha);
        record(params);
    }

    @Override
    public void storeUpdate(final INDArray array, final int iterationNumber, final int epochNumber)
    {
        delegate.storeUpdate(array, iterationNumber, epochNumber);
    }

    @Override
    public void receiveUpdate(final INDArray array)
    {
        delegate.receiveUpdate(array);
    }

    @Override
    public void setExternalSource(final IndexedTail source)
    {
        delegate.setExternalSource(source);
    }

    @Override
    public IndexedTail getExternalSource()
    {
        return delegate.getExternalSource();
    }

    @Override
    public void markExternalUpdates(final boolean updatesAvailable)
    {
        delegate.markExternalUpdates(updatesAvailable);
    }

    @Override
    public void reset()
    {
        delegate.reset();
    }

    @Override
    public void touch()
    {
        delegate.touch();
    }

    @Override
    public boolean hasAnything()
    {
        return delegate.hasAnything();
    }

    @Override
    public void registerConsumers(final int numConsumers)
    {
        ((Registerable)delegate).registerConsumers(numConsumers);
    }

    @Override
    public void fallbackToSingleConsumerMode(final boolean reallyFallback)
    {
        ((Registerable)delegate).fallbackToSingleConsumerMode(reallyFallback);
    }

    private void record(final INDArray params)
    {
        latest.put(Thread.currentThread(), params.dup());
        applied.merge(Thread.currentThread(), 1, Integer::sum);
    }
}
