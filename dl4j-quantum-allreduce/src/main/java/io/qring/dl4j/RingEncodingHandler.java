package io.qring.dl4j;

import io.qring.allreduce.AllReduce;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.solvers.accumulation.EncodingHandler;
import org.deeplearning4j.optimize.solvers.accumulation.GradientsAccumulator;
import org.deeplearning4j.optimize.solvers.accumulation.IndexedTail;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.ResidualPostProcessor;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.ThresholdAlgorithm;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * DL4J's threshold/bitmap {@link EncodingHandler} whose messages travel the ring: the encoded updates of
 * all local workers of an iteration go to every rank in one {@link AllReduce#allGather} (each message
 * crosses every link once), and every rank, this one included, enters every rank's messages into the
 * accumulator's {@link IndexedTail} in rank order, to be decoded into every local worker's next step. An
 * iteration in which a worker has nothing above threshold still takes part (with no message), so the
 * ranks stay in step.
 *
 * <p>Semantics are those of DL4J's {@code SHARED_GRADIENTS}: every worker applies the <em>sum</em> of
 * all workers' encoded updates, residuals stay local. Unlike DL4J, which loops a worker's own update back
 * first, every worker adds the same messages in the same order, so replicas stay bit-identical.
 *
 * <p>{@link QuantumRing#sparseAccumulator} makes it together with the accumulator it needs (its
 * {@link IndexedTail} and the count of local workers); it does not work inside another accumulator.
 */
public final class RingEncodingHandler extends EncodingHandler
{
    private final transient AllReduce allReduce;
    private final transient WorkerRendezvous<Outgoing, Boolean> rendezvous;
    private final transient ThreadLocal<int[]> staged = new ThreadLocal<>();
    private final transient List<ExchangeListener> exchangeListeners = new CopyOnWriteArrayList<>();
    private transient volatile RingTrainingException listenerFailure;
    private final transient Model model;
    private transient boolean verified;

    /**
     * A handler for the model it serves: its first exchange also checks that every rank's model starts
     * from the same parameters.
     *
     * @param allReduce          the ring; this rank's endpoint.
     * @param thresholdAlgorithm how each worker picks its encoding threshold.
     * @param residualProcessor  optional post-processing of the residual, or {@code null}.
     * @param boundary           most elements per sparse message, or {@code null} for no limit.
     * @param timeoutNs          longest a worker waits for its iteration's exchange to complete.
     * @param model              the model trained on this rank, or {@code null} if unknown.
     * @throws IllegalStateException when ND4J does not run on its CPU backend.
     */
    RingEncodingHandler(
        final AllReduce allReduce,
        final ThresholdAlgorithm thresholdAlgorithm,
        final ResidualPostProcessor residualProcessor,
        final Integer boundary,
        final long timeoutNs,
        final Model model)
    {
        super(thresholdAlgorithm, residualProcessor, boundary, false);
        HostBuffer.requireCpuBackend();
        this.allReduce = allReduce;
        this.model = model;
        this.rendezvous = new WorkerRendezvous<>(timeoutNs, "sparse update exchange on rank " + allReduce.rank());
    }

    /**
     * @param listener told after every exchange of this rank (e.g. a {@link LedgerTrainingListener}); if it
     *                 throws, the iteration fails on this rank and so does every later one (see
     *                 {@link ExchangeListener}).
     * @return this handler.
     */
    public RingEncodingHandler addExchangeListener(final ExchangeListener listener)
    {
        exchangeListeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /**
     * Encodes the worker's residual as DL4J does, then joins this iteration's ring exchange (with or without
     * a message). When encoding or counting the update fails, the other local workers
     * of the round fail at once with that cause rather than wait for this one.
     *
     * @param updates         the worker's accumulated residual; encoded values are subtracted from it.
     * @param iterationNumber the model's iteration count.
     * @param epochNumber     the model's epoch count.
     * @return whether this worker sent a message.
     * @throws RingTrainingException naming the rank, iteration and model size when the ring fails, a local worker
     *                               does not arrive in time, fails or disagrees on the number of workers in the round
     *                               (in this or an earlier iteration), or an exchange listener failed.
     */
    @Override
    public boolean broadcastUpdates(final INDArray updates, final int iterationNumber, final int epochNumber)
    {
        final RingTrainingException failedListener = listenerFailure;
        if (failedListener != null)
        {
            throw new RingTrainingException("sparse update exchange at iteration " + iterationNumber + ", epoch " +
                epochNumber + " on rank " + allReduce.rank() + " of " + allReduce.worldSize() +
                ": the accumulator stopped after an exchange listener failed (" + failedListener.getMessage() + ")", failedListener);
        }
        staged.remove();
        final boolean sent;
        try
        {
            sent = super.broadcastUpdates(updates, iterationNumber, epochNumber);
        }
        catch (final RuntimeException | Error ex)
        {
            if (consumersThisRound() > 1)
            {
                rendezvous.abandon(ex);
            }
            throw ex;
        }
        final Outgoing outgoing = new Outgoing(iterationNumber, epochNumber, updates.length(), updates.dataType(), staged.get());
        staged.remove();
        try
        {
            rendezvous.round(consumersThisRound(), outgoing, this::exchange, (mine, done) -> { });
        }
        catch (final RingTrainingException ex)
        {
            throw ex;
        }
        catch (final RuntimeException ex)
        {
            throw new RingTrainingException(context(outgoing) + ": " + ex.getMessage(), ex);
        }
        return sent;
    }

    /**
     * Stages an encoded update for the ring, which delivers it to every worker, the local ones too, in rank
     * order (instead of DL4J's loop-back to the local workers first).
     *
     * @param message         threshold- or bitmap-encoded update (INT32).
     * @param iterationNumber the model's iteration count.
     * @param epochNumber     the model's epoch count.
     */
    @Override
    protected void sendMessage(final INDArray message, final int iterationNumber, final int epochNumber)
    {
        if (accumulator instanceof RingEncodedGradientsAccumulator ring)
        {
            ring.countEncodedUpdate();
        }
        staged.set(message.toIntVector());
    }

    /** @return this rank. */
    int rank()
    {
        return allReduce.rank();
    }

    private int consumersThisRound()
    {
        return accumulator instanceof RingEncodedGradientsAccumulator ring ? ring.consumersThisRound() : 1;
    }

    @SuppressWarnings("try")
    private Boolean exchange(final List<Outgoing> workers)
    {
        final Outgoing first = workers.get(0);
        final IndexedTail tail = externalSource();
        try
        {
            if (!verified)
            {
                RingHandshake.verify(allReduce, "sparse update", first.length(), first.type(), model);
                verified = true;
            }
            final byte[][] frames = allReduce.allGather(frame(workers));
            try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces())
            {
                for (final byte[] frame : frames)
                {
                    deliver(frame, tail);
                }
            }
        }
        catch (final RuntimeException ex)
        {
            throw new RingTrainingException(context(first) + ": " + ex.getMessage(), ex);
        }
        try
        {
            for (final ExchangeListener listener : exchangeListeners)
            {
                listener.exchangeDone(first.iteration(), first.epoch(), true);
            }
        }
        catch (final RuntimeException | Error ex)
        {
            final RingTrainingException failure = new RingTrainingException(context(first) + ": an exchange listener failed (" +
                ex + "); the accumulator stops, so this rank cannot go on out of step with the other ranks", ex);
            listenerFailure = failure;
            throw failure;
        }
        return Boolean.TRUE;
    }

    private String context(final Outgoing first)
    {
        return "sparse update exchange at iteration " + first.iteration() + ", epoch " + first.epoch() + " on rank " +
            allReduce.rank() + " of " + allReduce.worldSize() + " (model with " + first.length() + " " + first.type() +
            " parameters)";
    }

    private IndexedTail externalSource()
    {
        final GradientsAccumulator owner = accumulator;
        final IndexedTail tail = owner == null ? null : owner.getExternalSource();
        if (tail == null)
        {
            throw new IllegalStateException("RingEncodingHandler needs an accumulator with an IndexedTail external source; " +
                "build it with QuantumRing.sparseAccumulator");
        }
        return tail;
    }

    /**
     * Lays out the messages of this rank's workers for the ring: the message count, then each message as
     * its length followed by its ints (little-endian).
     *
     * @param workers this iteration's parts of the local workers.
     * @return the frame.
     * @throws IllegalArgumentException naming the sizes when the frame would not fit in a Java array.
     */
    static byte[] frame(final List<Outgoing> workers)
    {
        long ints = 1;
        int messages = 0;
        for (final Outgoing worker : workers)
        {
            if (worker.message() != null)
            {
                ints += 1 + worker.message().length;
                messages++;
            }
        }
        final long frameBytes = ints * Integer.BYTES;
        if (frameBytes > HostBuffer.MAX_LENGTH)
        {
            throw new IllegalArgumentException("the encoded updates of " + messages + " local workers need a frame of " +
                ints + " ints = " + frameBytes + " bytes, more than the 2^31 - 9 bytes of a Java array");
        }
        final ByteBuffer bytes = ByteBuffer.allocate((int)frameBytes).order(ByteOrder.LITTLE_ENDIAN);
        final IntBuffer frame = bytes.asIntBuffer();
        frame.put(messages);
        for (final Outgoing worker : workers)
        {
            if (worker.message() != null)
            {
                frame.put(worker.message().length).put(worker.message());
            }
        }
        return bytes.array();
    }

    private static void deliver(final byte[] frameBytes, final IndexedTail tail)
    {
        final IntBuffer frame = ByteBuffer.wrap(frameBytes).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
        final int count = frame.get();
        for (int m = 0; m < count; m++)
        {
            final int[] message = new int[frame.get()];
            frame.get(message);
            tail.put(Nd4j.createFromArray(message));
        }
    }

    /**
     * One worker's part of an iteration's exchange.
     *
     * @param iteration the model's iteration count.
     * @param epoch     the model's epoch count.
     * @param length    number of parameters of the worker's model.
     * @param type      its dtype.
     * @param message   its encoded update, or {@code null} when nothing exceeded the threshold.
     */
    record Outgoing(int iteration, int epoch, long length, DataType type, int[] message)
    {
    }
}
