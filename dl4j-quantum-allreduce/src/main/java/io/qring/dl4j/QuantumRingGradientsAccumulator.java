package io.qring.dl4j;

import io.qring.allreduce.AllReduce;
import io.qring.allreduce.ReduceOp;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.StepFunction;
import org.deeplearning4j.optimize.solvers.accumulation.GradientsAccumulator;
import org.deeplearning4j.optimize.solvers.accumulation.IndexedTail;
import org.deeplearning4j.optimize.solvers.accumulation.Registerable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Synchronous data-parallel training over the ring: every iteration, every worker's update is averaged
 * over all workers of all ranks and every worker steps its parameters with that same average, so all
 * replicas stay bit-identical.
 *
 * <p>DL4J call path (1.0.0-M2.1, {@code StochasticGradientDescent.optimize}): {@link #hasAnything()} before
 * the forward pass (always {@code false} here: nothing arrives between iterations); then the gradient is
 * computed <em>and passed through the updater</em> (learning rate, momentum, Adam, ...), and that update
 * is handed to {@link #storeUpdate}; then {@link #applyUpdate(StepFunction, INDArray, INDArray, boolean)}
 * with the model's parameters, where the step function subtracts the averaged update
 * ({@code params -= update}). Because the average is of post-updater updates, plain SGD (and any updater
 * linear in the gradient, with identical state everywhere) matches single-process training on the
 * concatenated minibatch; Adam, RMSProp and other non-linear updaters average the ranks' local steps,
 * which is not the step of the averaged gradient, and each rank keeps its own updater state.
 *
 * <p>Works with one training thread per rank ({@code model.setGradientsAccumulator(acc)}) and inside
 * {@code ParallelWrapper} ({@code TrainingMode.CUSTOM}, {@code gradientsAccumulator(acc)}), which
 * announces the workers of each round through {@link #registerConsumers(int)}. The workers of one JVM
 * are first summed locally in a fixed order (by content, independent of thread scheduling), then the
 * ring sums the ranks' partial sums once per iteration; the divisor is the total number of workers.
 * Every iteration is a collective: all ranks must run the same number of iterations.
 */
public final class QuantumRingGradientsAccumulator implements GradientsAccumulator, Registerable
{
    private static final Logger LOG = LoggerFactory.getLogger(QuantumRingGradientsAccumulator.class);

    /**
     * Extra elements after the update in the exchanged vector: worker count, non-finite worker count, and
     * count of ranks whose local sum of finite updates overflowed. A rank with a non-finite worker update or
     * local sum sends zeros in place of the update, so the ring only ever carries finite numbers (its own
     * non-finite policy, by default {@code REJECT}, never fires) and every rank reads the same counts.
     */
    private static final int TRAILER = 3;

    private final transient AllReduce allReduce;
    private final transient NonFiniteUpdatePolicy nonFiniteUpdatePolicy;
    private final transient WorkerRendezvous<WorkerSlot, Boolean> rendezvous;
    private transient volatile ThreadLocal<WorkerSlot> slots = new ThreadLocal<>();
    private final transient List<WorkerSlot> allSlots = new CopyOnWriteArrayList<>();
    private final transient List<ExchangeListener> exchangeListeners = new CopyOnWriteArrayList<>();
    private final transient AtomicLong exchanges = new AtomicLong();
    private final transient AtomicLong skipped = new AtomicLong();

    private final transient Model model;
    private transient volatile int consumers = 1;
    private transient volatile boolean singleConsumer;

    private transient volatile RingTrainingException listenerFailure;
    private transient HostBuffer combined;
    private transient boolean verified;

    /**
     * Use {@link QuantumRing#accumulator()}.
     *
     * @param allReduce             the ring; this rank's endpoint.
     * @param nonFiniteUpdatePolicy what to do with NaN or infinite updates.
     * @param timeoutNs             longest a worker waits for its iteration's exchange to complete.
     * @param model                 the model trained on this rank, whose parameters the first exchange checks
     *                              are every rank's; {@code null} if unknown.
     * @throws IllegalStateException when ND4J does not run on its CPU backend.
     */
    QuantumRingGradientsAccumulator(
        final AllReduce allReduce,
        final NonFiniteUpdatePolicy nonFiniteUpdatePolicy,
        final long timeoutNs,
        final Model model)
    {
        HostBuffer.requireCpuBackend();
        this.allReduce = allReduce;
        this.model = model;
        this.nonFiniteUpdatePolicy = nonFiniteUpdatePolicy;
        this.rendezvous = new WorkerRendezvous<>(timeoutNs, "gradient exchange on rank " + allReduce.rank());
    }

    /**
     * Collective (with the other workers of this JVM and with every rank): averages this worker's update
     * over all workers of all ranks. The average is applied by the next {@code applyUpdate} call of the
     * same thread.
     *
     * @param array           this worker's update, after the updater (what the step function subtracts).
     * @param iterationNumber the model's iteration count, for messages.
     * @param epochNumber     the model's epoch count, for messages.
     * @throws RingTrainingException when ranks train different models (or, for an accumulator built with its
     *                               model, models that start from different parameters), the ring fails, a local worker does
     *                               not arrive in time, fails or disagrees on the number of workers in the round (in this
     *                               or an earlier iteration), an update is not finite under
     *                               {@link NonFiniteUpdatePolicy#FAIL}, or an {@link ExchangeListener} failed in this or
     *                               an earlier iteration.
     * @throws IllegalArgumentException when the update is neither FLOAT nor DOUBLE (an accumulator built for a model
     *                                  that was not yet initialised could not check its dtype up front).
     */
    @Override
    public void storeUpdate(final INDArray array, final int iterationNumber, final int epochNumber)
    {
        final RingTrainingException failedListener = listenerFailure;
        if (failedListener != null)
        {
            throw new RingTrainingException("gradient exchange at iteration " + iterationNumber + ", epoch " + epochNumber +
                " on rank " + allReduce.rank() + " of " + allReduce.worldSize() +
                ": the accumulator stopped after an exchange listener failed (" + failedListener.getMessage() + ")", failedListener);
        }
        final WorkerSlot slot;
        try
        {
            slot = slotFor(array);
            slot.staging.assign(array.rank() == 1 ? array : array.reshape(array.length()));
            slot.update.read(slot.staging, 0);
            slot.finite = slot.update.allFinite(0, slot.update.length());
        }
        catch (final RuntimeException | Error ex)
        {
            if (parties() > 1)
            {
                rendezvous.abandon(ex);
            }
            throw ex;
        }
        try
        {
            rendezvous.round(
                parties(),
                slot,
                workers -> exchange(workers, iterationNumber, epochNumber),
                (worker, apply) -> worker.take(apply ? combined : null));
        }
        catch (final RingTrainingException ex)
        {
            throw ex;
        }
        catch (final RuntimeException ex)
        {
            throw new RingTrainingException(context(iterationNumber, epochNumber, slot.update.length(), slot.update.dataType()) +
                ": " + ex.getMessage(), ex);
        }
    }

    /**
     * Steps the parameters with the average computed by this thread's last {@link #storeUpdate}, if that
     * iteration was not skipped; otherwise does nothing.
     *
     * @param function    the model's step function ({@code params -= update}).
     * @param params      the model's flattened parameters.
     * @param updates     the update array DL4J passes along; unused, the average is kept per worker.
     * @param isFinalStep ignored: every iteration exchanges exactly once.
     */
    @Override
    public void applyUpdate(final StepFunction function, final INDArray params, final INDArray updates, final boolean isFinalStep)
    {
        final WorkerSlot slot = slots.get();
        if (slot != null && slot.pending)
        {
            slot.pending = false;
            function.step(params, slot.staging);
        }
    }

    /**
     * As {@link #applyUpdate(StepFunction, INDArray, INDArray, boolean)}, scaling the average by {@code alpha}.
     *
     * @param function the model's step function.
     * @param params   the model's flattened parameters.
     * @param updates  unused.
     * @param alpha    step scale.
     */
    @Override
    public void applyUpdate(final StepFunction function, final INDArray params, final INDArray updates, final double alpha)
    {
        final WorkerSlot slot = slots.get();
        if (slot != null && slot.pending)
        {
            slot.pending = false;
            function.step(params, slot.staging, alpha);
        }
    }

    /**
     * @return {@code false}: a synchronous exchange completes inside {@link #storeUpdate}, nothing is ever
     * pending before a forward pass.
     */
    @Override
    public boolean hasAnything()
    {
        return false;
    }

    /**
     * Called by {@code ParallelWrapper} before each round with the number of workers fed in that round.
     *
     * @param numConsumers workers taking part in the next exchange, ≥ 1.
     */
    @Override
    public void registerConsumers(final int numConsumers)
    {
        if (numConsumers < 1)
        {
            throw new IllegalArgumentException("a round needs at least one worker: " + numConsumers);
        }
        consumers = numConsumers;
    }

    /**
     * @param reallyFallback {@code true} to treat every exchange as having a single local worker,
     *                       whatever {@link #registerConsumers} said.
     */
    @Override
    public void fallbackToSingleConsumerMode(final boolean reallyFallback)
    {
        singleConsumer = reallyFallback;
    }

    /**
     * Drops any average not yet applied and forgets every worker's buffers (ParallelWrapper calls this when a
     * fit ends; its next fit runs on new threads, which get new buffers on their first update).
     */
    @Override
    public void reset()
    {
        for (final WorkerSlot slot : allSlots)
        {
            slot.pending = false;
        }
        slots = new ThreadLocal<>();
        allSlots.clear();
    }

    /** Nothing to prepare per worker: buffers are made on a worker's first update. */
    @Override
    public void touch()
    {
    }

    /**
     * Hint of early external updates; meaningless for a synchronous exchange and ignored.
     *
     * @param updatesAvailable ignored.
     */
    @Override
    public void markExternalUpdates(final boolean updatesAvailable)
    {
    }

    /**
     * Not supported: every update of a synchronous ring enters through {@link #storeUpdate}.
     *
     * @param array ignored.
     * @throws UnsupportedOperationException always.
     */
    @Override
    public void receiveUpdate(final INDArray array)
    {
        throw new UnsupportedOperationException(
            "the synchronous ring accumulator takes updates only through storeUpdate; use QuantumRing.sparseAccumulator for message-based sharing");
    }

    /**
     * Not supported: a synchronous ring has no external update source.
     *
     * @param source ignored.
     * @throws UnsupportedOperationException always.
     */
    @Override
    public void setExternalSource(final IndexedTail source)
    {
        throw new UnsupportedOperationException(
            "the synchronous ring accumulator has no external source; use QuantumRing.sparseAccumulator for IndexedTail-fed sharing");
    }

    /** @return {@code null}: no external source. */
    @Override
    public IndexedTail getExternalSource()
    {
        return null;
    }

    /**
     * @param listener told after every exchange of this rank (e.g. a {@link LedgerTrainingListener}); if it
     *                 throws, the iteration fails on this rank and so does every later one (see
     *                 {@link ExchangeListener}).
     * @return this accumulator.
     */
    public QuantumRingGradientsAccumulator addExchangeListener(final ExchangeListener listener)
    {
        exchangeListeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /** @return how many iterations this rank has averaged and handed to its workers to apply. */
    public long exchanges()
    {
        return exchanges.get();
    }

    /** @return how many iterations were skipped under {@link NonFiniteUpdatePolicy#SKIP_WITH_WARNING}. */
    public long skippedIterations()
    {
        return skipped.get();
    }

    /** @return how many training threads currently hold buffers (each model-sized) in this accumulator. */
    int workerSlots()
    {
        return allSlots.size();
    }

    private int parties()
    {
        return singleConsumer ? 1 : consumers;
    }

    private WorkerSlot slotFor(final INDArray array)
    {
        final ThreadLocal<WorkerSlot> slots = this.slots;
        final WorkerSlot current = slots.get();
        final int length = HostBuffer.checkedLength(array.length());
        if (current != null && current.update.length() == length && current.update.dataType() == array.dataType())
        {
            return current;
        }
        final WorkerSlot slot = new WorkerSlot(array.dataType(), length);
        if (current != null)
        {
            allSlots.remove(current);
        }
        allSlots.add(slot);
        slots.set(slot);
        return slot;
    }

    private Boolean exchange(final List<WorkerSlot> workers, final int iteration, final int epoch)
    {
        final WorkerSlot first = workers.get(0);
        final int length = first.update.length();
        final DataType type = first.update.dataType();
        for (final WorkerSlot worker : workers)
        {
            if (worker.update.length() != length || worker.update.dataType() != type)
            {
                throw new RingTrainingException(context(iteration, epoch, length, type) +
                    ": local workers hold models of different sizes or dtypes (" + worker.update.length() + " " +
                    worker.update.dataType() + ")", null);
            }
        }
        try
        {
            if (!verified)
            {
                RingHandshake.verify(allReduce, "gradient update", length, type, model);
                verified = true;
            }
            final int combinedLength = HostBuffer.checkedLength(length, TRAILER, "gradient values + contribution counts");
            if (combined == null || combined.length() != combinedLength || combined.dataType() != type)
            {
                combined = HostBuffer.allocate(type, combinedLength);
            }
            sumInFixedOrder(workers, length);
            combined.allReduce(allReduce, ReduceOp.SUM);
        }
        catch (final RuntimeException ex)
        {
            throw new RingTrainingException(context(iteration, epoch, length, type) + ": " + ex.getMessage(), ex);
        }
        final double contributions = combined.get(length);
        final double nonFinite = combined.get(length + 1);
        final double overflowedRanks = combined.get(length + 2);
        final boolean apply = nonFinite == 0 && overflowedRanks == 0 && combined.allFinite(0, length);
        if (apply)
        {
            combined.divide(0, length, contributions);
        }
        else
        {
            failOrSkip(workers, iteration, epoch, length, type, (long)contributions, (long)nonFinite, (long)overflowedRanks);
        }
        notifyListeners(iteration, epoch, apply, length, type);
        (apply ? exchanges : skipped).incrementAndGet();
        return apply;
    }

    /**
     * Tells every listener; the first failure stops the accumulator on this rank for good, because this
     * rank's workers then do not apply an average the other ranks apply.
     */
    private void notifyListeners(final int iteration, final int epoch, final boolean apply, final int length, final DataType type)
    {
        try
        {
            for (final ExchangeListener listener : exchangeListeners)
            {
                listener.exchangeDone(iteration, epoch, apply);
            }
        }
        catch (final RuntimeException | Error ex)
        {
            final RingTrainingException failure = new RingTrainingException(context(iteration, epoch, length, type) +
                ": an exchange listener failed (" + ex + "); this rank does not apply the iteration and the accumulator " +
                "stops, so its replicas cannot go on out of step with the other ranks", ex);
            listenerFailure = failure;
            throw failure;
        }
    }

    /**
     * Sums the local workers' updates in an order fixed by their contents; when an update or the sum is not
     * finite, puts zeros in its place and counts it in the trailer instead.
     */
    private void sumInFixedOrder(final List<WorkerSlot> workers, final int length)
    {
        final List<WorkerSlot> ordered = new ArrayList<>(workers);
        if (ordered.size() > 1)
        {
            Collections.sort(ordered, (a, b) -> a.update.compareTo(b.update));
        }
        int nonFinite = 0;
        for (final WorkerSlot worker : ordered)
        {
            nonFinite += worker.finite ? 0 : 1;
        }
        boolean overflowed = false;
        if (nonFinite == 0)
        {
            combined.copyFrom(ordered.get(0).update, length);
            for (int i = 1; i < ordered.size(); i++)
            {
                combined.add(ordered.get(i).update, length);
            }
            overflowed = !combined.allFinite(0, length);
        }
        if (nonFinite > 0 || overflowed)
        {
            combined.fill(0, length, 0);
        }
        combined.set(length, ordered.size());
        combined.set(length + 1, nonFinite);
        combined.set(length + 2, overflowed ? 1 : 0);
    }

    private void failOrSkip(
        final List<WorkerSlot> workers,
        final int iteration,
        final int epoch,
        final int length,
        final DataType type,
        final long contributions,
        final long nonFinite,
        final long overflowedRanks)
    {
        final long local = workers.stream().filter(w -> !w.finite).count();
        final String what;
        if (nonFinite > 0)
        {
            what = nonFinite + " of " + contributions + " worker updates contain NaN or infinity (" + local + " on this rank)";
        }
        else if (overflowedRanks > 0)
        {
            what = "the sum of the finite worker updates of " + overflowedRanks + " of " + allReduce.worldSize() +
                " ranks overflows";
        }
        else
        {
            what = "the sum of " + contributions + " finite worker updates overflows";
        }
        if (nonFiniteUpdatePolicy == NonFiniteUpdatePolicy.FAIL)
        {
            throw new RingTrainingException(context(iteration, epoch, length, type) + ": " + what +
                "; non-finite update policy " + NonFiniteUpdatePolicy.FAIL, null);
        }
        LOG.warn("{}: {}; every rank skips this iteration (non-finite update policy {})",
            context(iteration, epoch, length, type), what, NonFiniteUpdatePolicy.SKIP_WITH_WARNING);
    }

    private String context(final int iteration, final int epoch, final int length, final DataType type)
    {
        return "gradient exchange at iteration " + iteration + ", epoch " + epoch + " on rank " + allReduce.rank() +
            " of " + allReduce.worldSize() + " (model with " + length + " " + type + " parameters)";
    }

    /** One training thread's buffers, reused every iteration. */
    private static final class WorkerSlot
    {
        private final INDArray staging;
        private final HostBuffer update;
        private boolean finite;
        private volatile boolean pending;

        WorkerSlot(final DataType type, final int length)
        {
            this.staging = HostBuffer.detachedVector(type, length);
            this.update = HostBuffer.allocate(type, length);
        }

        void take(final HostBuffer average)
        {
            if (average != null)
            {
                average.write(staging, 0);
            }
            pending = average != null;
        }
    }
}
