package io.qring.dl4j;

import org.deeplearning4j.optimize.api.StepFunction;
import org.deeplearning4j.optimize.solvers.accumulation.EncodedGradientsAccumulator;
import org.deeplearning4j.optimize.solvers.accumulation.IndexedTail;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * DL4J's {@link EncodedGradientsAccumulator} wired to a {@link RingEncodingHandler}: every rank's
 * threshold-encoded updates, this rank's own included, reach every local worker through the
 * {@link IndexedTail} external source in rank order (DL4J's per-worker loop-back queues stay empty).
 * Obtain it from {@link QuantumRing#sparseAccumulator}.
 *
 * <p>Built for a number of local workers ("parties"), which must be the number of threads training with
 * it: with one party it serves a single training thread outside {@code ParallelWrapper} (no registration
 * wait; whichever thread trains uses worker 0 and takes over the queue position and residual of the thread
 * before it, so successive fits may run on different threads, one at a time); with more it serves a
 * {@code ParallelWrapper} of exactly that many workers. A mismatch fails with a message naming both counts
 * instead of waiting forever: waiting for the wrapper to register a round's workers is bounded by the ring's
 * exchange timeout, and workers that never join are noticed after as many updates as DL4J would queue.
 */
public final class RingEncodedGradientsAccumulator extends EncodedGradientsAccumulator
{
    private static final long POLL_NS = TimeUnit.MILLISECONDS.toNanos(1);
    /**
     * Bytes of the workspace DL4J reserves per local worker for its loop-back queues, which this accumulator
     * leaves empty (every update arrives through the external source): the least DL4J accepts is enough.
     */
    private static final long LOOP_BACK_WORKSPACE_BYTES = 1024;

    private final transient RingEncodingHandler ringHandler;
    private final transient long timeoutNs;
    private transient volatile Thread singleWorker;
    private transient volatile INDArray singleResidual;
    private final transient AtomicLong encodedUpdates = new AtomicLong();
    private final transient AtomicInteger joinedWorkers = new AtomicInteger();

    /**
     * @param parties   local workers (1 without {@code ParallelWrapper}).
     * @param handler   the ring handler.
     * @param timeoutNs longest a worker waits for its round to be registered.
     */
    RingEncodedGradientsAccumulator(final int parties, final RingEncodingHandler handler, final long timeoutNs)
    {
        super(parties, handler, LOOP_BACK_WORKSPACE_BYTES, parties + 2, Integer.MAX_VALUE, false);
        this.ringHandler = handler;
        this.timeoutNs = timeoutNs;
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
        encodedUpdates.set(0);
        joinedWorkers.set(0);
        singleWorker = null;
        singleResidual = null;
    }

    /**
     * As DL4J's, after checking that the round has no more workers than this accumulator was built for.
     *
     * @param numConsumers workers of the next round.
     * @throws IllegalArgumentException naming both counts when {@code numConsumers} exceeds the parties.
     */
    @Override
    public void registerConsumers(final int numConsumers)
    {
        if (numConsumers > parties)
        {
            throw fail(new IllegalArgumentException(what() + ": built for " + parties + " local workers (" +
                buildCall(parties) + ") but a round has " + numConsumers + " workers; build it with the ParallelWrapper " +
                "worker count, " + buildCall(numConsumers)));
        }
        super.registerConsumers(numConsumers);
    }

    /** @return how many local workers take part in the current exchange. */
    int consumersThisRound()
    {
        return bypassMode.get() ? 1 : Math.max(1, currentConsumers.get());
    }

    /**
     * Gives the calling thread its worker index: with one party always 0 (taking over from the previous
     * training thread), otherwise the next free index as in DL4J.
     *
     * @throws IllegalStateException naming both counts when more threads train than the parties.
     */
    @Override
    public void touch()
    {
        if (parties == 1)
        {
            adoptSingleWorker();
            return;
        }
        if (index.get() == null)
        {
            super.touch();
            final int assigned = index.get();
            if (assigned >= parties)
            {
                index.remove();
                throw fail(new IllegalStateException(what() + ": built for " + parties + " local workers (" +
                    buildCall(parties) + ") but a training thread joined as worker " + (assigned + 1) + "; build it " +
                    "with the number of training threads"));
            }
            joinedWorkers.incrementAndGet();
        }
    }

    /**
     * Assigns the calling thread its worker index when the training loop never called {@link #touch()}
     * (plain {@code model.setGradientsAccumulator}), then checks for remote updates as DL4J does.
     */
    @Override
    public boolean hasAnything()
    {
        touch();
        return super.hasAnything();
    }

    /**
     * Assigns the calling thread its worker index, waits (at most the exchange timeout) until the round's
     * workers are registered, then stores as DL4J does.
     *
     * @throws IllegalStateException naming both counts when no round is registered in time: the accumulator
     *                               was built for several workers but is used by a single training thread.
     */
    @Override
    public void storeUpdate(final INDArray array, final int iterationNumber, final int epochNumber)
    {
        touch();
        awaitRegistration();
        super.storeUpdate(array, iterationNumber, epochNumber);
        if (parties == 1)
        {
            singleResidual = accumulator.get();
        }
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

    /**
     * Counts an encoded update of a local worker. In each round every worker of the round makes an update, so
     * once the joined workers made more updates than DL4J would queue for a worker ({@code parties + 2})
     * while fewer threads than the parties have joined, the missing workers never will (a
     * {@code ParallelWrapper} with fewer workers than this accumulator was built for), and the external
     * source would hold every update for them forever. Fails then, naming both counts.
     *
     * @throws IllegalStateException naming both counts.
     */
    void countEncodedUpdate()
    {
        final long made = encodedUpdates.incrementAndGet();
        final int joined = joinedWorkers.get();
        if (parties > 1 && joined < parties && made > queueSize)
        {
            throw fail(new IllegalStateException(what() + ": built for " + parties + " local workers (" + buildCall(parties) +
                ") but " + joined + " training threads have joined, and they made " + made + " encoded updates while " +
                (parties - joined) + " never did (more than the " + queueSize + " a worker may fall behind); build it with " +
                "the number of training threads"));
        }
    }

    private void awaitRegistration()
    {
        if (bypassMode.get())
        {
            return;
        }
        final long deadline = System.nanoTime() + timeoutNs;
        while (!registered.get() && !throwable.isTriggered())
        {
            if (deadline - System.nanoTime() <= 0)
            {
                throw fail(new IllegalStateException(what() + ": built for " + parties + " local workers (" +
                    buildCall(parties) + ") but " + joinedWorkers.get() + " training thread(s) have used it and no " +
                    "ParallelWrapper registered the workers of this round within " + TimeUnit.NANOSECONDS.toMillis(timeoutNs) +
                    " ms; a single training thread (model.setGradientsAccumulator) needs " + buildCall(1) +
                    ", a ParallelWrapper in CUSTOM mode its worker count"));
            }
            LockSupport.parkNanos(POLL_NS);
        }
    }

    /**
     * Makes the calling thread the single worker (index 0); a thread taking over from another inherits its
     * position in the external source, so nothing it did not apply is lost and nothing stays pinned for a
     * thread that no longer trains, and its residual.
     */
    private void adoptSingleWorker()
    {
        final Thread current = Thread.currentThread();
        if (singleWorker == current && index.get() != null)
        {
            return;
        }
        synchronized (this)
        {
            final Thread previous = singleWorker;
            if (previous != null && previous != current)
            {
                final Map<Long, AtomicLong> positions = externalSource.getPositions();
                final AtomicLong position = positions.remove(previous.getId());
                if (position != null)
                {
                    positions.put(current.getId(), position);
                }
                final INDArray residual = singleResidual;
                if (residual != null)
                {
                    accumulator.set(residual);
                }
            }
            index.set(0);
            singleWorker = current;
        }
    }

    private RuntimeException fail(final RuntimeException cause)
    {
        throwable.setIfFirst(cause);
        return cause;
    }

    private String what()
    {
        return "sparse accumulator on rank " + ringHandler.rank();
    }

    private static String buildCall(final int workers)
    {
        return "QuantumRing.sparseAccumulator(model, " + workers + ")";
    }
}
