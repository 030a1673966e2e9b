package io.qring.dl4j;

import org.deeplearning4j.optimize.api.StepFunction;
import org.deeplearning4j.optimize.solvers.accumulation.EncodedGradientsAccumulator;
import org.deeplearning4j.optimize.solvers.accumulation.IndexedTail;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's {@link EncodedGradientsAccumulator} wired to a {@link RingEncodingHandler}: local workers share
 * their threshold-encoded updates through DL4J's own per-worker queues, other ranks' updates arrive
 * through the {@link IndexedTail} external source. Also usable by a single training thread outside
 * {@code ParallelWrapper} (one party: no registration wait, worker index assigned on first use).
 * Obtain it from {@link QuantumRing#sparseAccumulator}.
 */
public final class RingEncodedGradientsAccumulator extends EncodedGradientsAccumulator
{
    private final transient RingEncodingHandler ringHandler;

    /**
     * @param parties       local workers (1 without {@code ParallelWrapper}).
     * @param handler       the ring handler.
     * @param initialMemory bytes of each worker's message workspace.
     * @param queueSize     capacity of each worker's message queue.
     */
    RingEncodedGradientsAccumulator(
        final int parties,
        final RingEncodingHandler handler,
        final long initialMemory,
        final int queueSize)
    {
        super(parties, handler, initialMemory, queueSize, Integer.MAX_VALUE, false);
        this.ringHandler = handler;
        setExternalSource(new IndexedTail(parties));
        if (parties == 1)
        {
            fallbackToSingleConsumerMode(true);
        }
    }

    /**
     * @param listener told after every exchange of this rank (e.g. a {@link LedgerTrainingListener}).
     * @return this accumulator.
     */
    public RingEncodedGradientsAccumulator addExchangeListener(final ExchangeListener listener)
    {
        ringHandler.addExchangeListener(listener);
        return this;
    }

    /**
     * As DL4J's, and also forgets the remote updates and the consumer positions held by the external
     * source (ParallelWrapper calls this when a fit ends; its next fit runs on new threads).
     */
    @Override
    public void reset()
    {
        super.reset();
        externalSource.purge();
    }

    /** @return how many local workers take part in the current exchange. */
    int consumersThisRound()
    {
        return bypassMode.get() ? 1 : Math.max(1, currentConsumers.get());
    }

    /**
     * Assigns the calling thread its worker index when the training loop never called {@link #touch()}
     * (plain {@code model.setGradientsAccumulator}), then stores as DL4J does.
     */
    @Override
    public void storeUpdate(final INDArray array, final int iterationNumber, final int epochNumber)
    {
        touch();
        super.storeUpdate(array, iterationNumber, epochNumber);
    }

    /** As DL4J's, after making sure the calling thread has a worker index. */
    @Override
    public void applyUpdate(final StepFunction function, final INDArray params, final INDArray updates, final boolean isFinalStep)
    {
        touch();
        super.applyUpdate(function, params, updates, isFinalStep);
    }

    /** As DL4J's, after making sure the calling thread has a worker index. */
    @Override
    public void applyUpdate(final StepFunction function, final INDArray params, final INDArray updates, final double alpha)
    {
        touch();
        super.applyUpdate(function, params, updates, alpha);
    }
}
