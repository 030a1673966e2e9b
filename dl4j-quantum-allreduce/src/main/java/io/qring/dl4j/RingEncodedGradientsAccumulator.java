package io.qring.dl4j;

import org.deeplearning4j.optimize.api.StepFunction;
import org.deeplearning4j.optimize.solvers.accumulation.EncodedGradientsAccumulator;
import org.deeplearning4j.optimize.solvers.accumulation.IndexedTail;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.exception.ND4JIllegalStateException;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * DL4J's {@link EncodedGradientsAccumulator} wired to a {@link RingEncodingHandler}: local workers share
 * their threshold-encoded updates through DL4J's own per-worker queues, other ranks' updates arrive
 * through the {@link IndexedTail} external source. Obtain it from {@link QuantumRing#sparseAccumulator}.
 *
 * <p>Built for a number of local workers ("parties"), which must be the number of threads training with
 * it: with one party it serves a single training thread outside {@code ParallelWrapper} (no registration
 * wait; whichever thread trains uses worker 0 and takes over the queue position and residual of the thread
 * before it, so successive fits may run on different threads, one at a time); with more it serves a
 * {@code ParallelWrapper} of exactly that many workers. A mismatch fails with a message naming both counts
 * instead of waiting forever: waiting for the wrapper to register a round's workers, or for a worker to take
 * its queued updates, is bounded by the ring's exchange timeout.
 */
public final class RingEncodedGradientsAccumulator extends EncodedGradientsAccumulator
{
    private static final long POLL_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private final transient RingEncodingHandler ringHandler;
    private final transient long timeoutNs;
    private transient volatile Thread singleWorker;
    private transient volatile INDArray singleResidual;

    /**
     * @param parties       local workers (1 without {@code ParallelWrapper}).
     * @param handler       the ring handler.
     * @param initialMemory bytes of each worker's message workspace.
     * @param queueSize     capacity of each worker's message queue.
     * @param timeoutNs     longest a worker waits for its round to be registered or for room in a queue.
     */
    RingEncodedGradientsAccumulator(
        final int parties,
        final RingEncodingHandler handler,
        final long initialMemory,
        final int queueSize,
        final long timeoutNs)
    {
        super(parties, handler, initialMemory, queueSize, Integer.MAX_VALUE, false);
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
     * As DL4J's: queues an encoded update for every local worker; but a full queue of a worker that never
     * joined fails at once, and room in the queue of a worker that did is awaited at most the exchange timeout
     * (each worker empties its queue every iteration, so with matching worker counts a queue is never full).
     *
     * @param array an encoded update.
     * @throws IllegalStateException naming both counts when a queue stays full.
     */
    @Override
    public void receiveUpdate(final INDArray array)
    {
        final long deadline = System.nanoTime() + timeoutNs;
        try
        {
            final long bytes = array.data().length() * Nd4j.sizeOfDataType(array.data().dataType());
            if (bytes > initialMemory / queueSize)
            {
                throw new ND4JIllegalStateException("Not enough memory to handle update: [" + bytes +
                    " bytes required]. Please increase memory amount for GradientsAccumulator");
            }
            for (int worker = 0; worker < parties; worker++)
            {
                enqueue(worker, array, deadline);
            }
        }
        catch (final RuntimeException ex)
        {
            throw fail(ex);
        }
    }

    @SuppressWarnings("try")
    private void enqueue(final int worker, final INDArray array, final long deadline)
    {
        final ReentrantLock lock = locks.get(worker);
        lock.lock();
        try (MemoryWorkspace ignored = workspaces.get(worker).notifyScopeEntered())
        {
            final BlockingQueue<INDArray> queue = messages.get(worker);
            final boolean joined = worker < workersCounter.get();
            if (joined ? !queue.offer(array.unsafeDuplication(), deadline - System.nanoTime(), TimeUnit.NANOSECONDS) :
                !queue.offer(array.unsafeDuplication()))
            {
                throw new IllegalStateException(what() + ": local worker " + (worker + 1) + " of " + parties +
                    " has not taken its encoded updates (its queue of " + queueSize + " is full" +
                    (joined ? " after " + TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms" : " and it never joined") +
                    "): built for " + parties + " local workers (" + buildCall(parties) + ") but " + workersCounter.get() +
                    " training threads have joined; build it with the number of training threads");
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what() + ": interrupted while queueing an encoded update", ex);
        }
        finally
        {
            lock.unlock();
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
                    buildCall(parties) + ") but " + workersCounter.get() + " training thread(s) have used it and no " +
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
