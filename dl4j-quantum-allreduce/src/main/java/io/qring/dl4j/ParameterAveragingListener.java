package io.qring.dl4j;

import io.qring.allreduce.AllReduce;
import io.qring.allreduce.ReduceOp;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Periodic parameter averaging: each rank trains its own replica locally and, after every
 * {@code frequency}-th iteration ({@code (iteration + 1) % frequency == 0}), replaces its parameters
 * (and optionally its updater state, e.g. Adam moments) by their average over the ring
 * ({@link ReduceOp#AVERAGE}), so all replicas leave the averaging step bit-identical.
 *
 * <p>The iterations after the last periodic averaging would leave the replicas apart, so the listener
 * also averages at the end of every epoch DL4J reports ({@code onEpochEnd}: {@code fit(DataSetIterator)}
 * and {@code fit(DataSetIterator, epochs)}), unless the epoch's last iteration was just averaged. Training
 * loops that call {@code fit(DataSet)} get no epoch events: they call {@link #averageNow(Model)} on every
 * rank wherever the replicas must agree, e.g. before evaluating or saving the model.
 *
 * <p>One listener instance serves one model on one rank (attach it with {@code model.addListeners}); the
 * first model it sees is the only one it accepts, and its methods are synchronized, so a listener shared
 * by several training threads (as inside a {@code ParallelWrapper}) fails on the other threads' models
 * instead of running concurrent collectives on one ring. Every averaging is a collective: all ranks must
 * run the same number of iterations and epochs and call {@link #averageNow(Model)} alike. Inside a
 * {@code ParallelWrapper} use DL4J's own {@code TrainingMode.AVERAGING}, or
 * {@link QuantumRingGradientsAccumulator}.
 */
public final class ParameterAveragingListener extends BaseTrainingListener
{
    private final AllReduce allReduce;
    private final int frequency;
    private final boolean averageUpdaterState;

    private Model model;
    private HostBuffer buffer;
    private INDArray paramsStaging;
    private INDArray stateStaging;
    private volatile long averagings;
    private boolean trainedSinceAveraging;
    private int lastIteration = -1;
    private int lastEpoch;

    /**
     * Use {@link QuantumRing#parameterAveraging(int, boolean)}.
     *
     * @param allReduce           the ring; this rank's endpoint.
     * @param frequency           average after every this many iterations, ≥ 1.
     * @param averageUpdaterState whether to average the updater state too.
     * @throws IllegalStateException when ND4J does not run on its CPU backend.
     */
    ParameterAveragingListener(final AllReduce allReduce, final int frequency, final boolean averageUpdaterState)
    {
        if (frequency < 1)
        {
            throw new IllegalArgumentException("averaging frequency must be at least 1 iteration: " + frequency);
        }
        HostBuffer.requireCpuBackend();
        this.allReduce = allReduce;
        this.frequency = frequency;
        this.averageUpdaterState = averageUpdaterState;
    }

    /**
     * Averages parameters (and updater state) over the ring when this is an averaging iteration.
     *
     * @param model     the model just stepped.
     * @param iteration its iteration count (0-based, before increment).
     * @param epoch     its epoch count.
     * @throws IllegalStateException    when the listener already serves another model.
     * @throws IllegalArgumentException when the model's parameters are neither FLOAT nor DOUBLE.
     */
    @Override
    public synchronized void iterationDone(final Model model, final int iteration, final int epoch)
    {
        serve(model);
        lastIteration = iteration;
        lastEpoch = epoch;
        trainedSinceAveraging = true;
        if ((iteration + 1) % frequency == 0)
        {
            average(model, "at iteration " + iteration + ", epoch " + epoch);
        }
    }

    /**
     * Averages parameters (and updater state) over the ring unless nothing was trained since the last
     * averaging (the epoch's last iteration was an averaging one, or the epoch had no iterations).
     *
     * @param model the model whose epoch ended.
     * @throws IllegalStateException    when the listener already serves another model.
     * @throws IllegalArgumentException when the model's parameters are neither FLOAT nor DOUBLE.
     */
    @Override
    public synchronized void onEpochEnd(final Model model)
    {
        serve(model);
        if (trainedSinceAveraging)
        {
            average(model, "at the end of epoch " + lastEpoch + " (after iteration " + lastIteration + ")");
        }
    }

    /**
     * Collective: averages the model's parameters (and, if configured, its updater state) over the ring now,
     * whatever the iteration, so every replica leaves this call bit-identical. Every rank must call it at
     * the same point of training (after the same number of iterations), or the ranks wait for each other
     * until the ring's deadline and fail. Use it after a training loop of {@code fit(DataSet)} calls, which
     * reports no epoch ends, before evaluating or saving the model.
     *
     * @param model the model this listener serves.
     * @throws IllegalStateException    when the listener already serves another model.
     * @throws IllegalArgumentException when the model's parameters are neither FLOAT nor DOUBLE.
     * @throws RingTrainingException    when the ring fails, naming the rank and the model size.
     */
    public synchronized void averageNow(final Model model)
    {
        serve(model);
        average(model, lastIteration < 0 ? "on request before any iteration" :
            "on request after iteration " + lastIteration + ", epoch " + lastEpoch);
    }

    /** @return how many times this rank has averaged. */
    public long averagings()
    {
        return averagings;
    }

    private void serve(final Model model)
    {
        if (this.model == null)
        {
            HostBuffer.requireSupported(model.params().dataType());
            this.model = model;
        }
        else if (this.model != model)
        {
            throw new IllegalStateException("a ParameterAveragingListener serves one model per rank, but was called by a second model " +
                "(inside ParallelWrapper use TrainingMode.AVERAGING locally or QuantumRingGradientsAccumulator)");
        }
    }

    private void average(final Model model, final String when)
    {
        final INDArray params = model.params();
        final INDArray state = averageUpdaterState ? updaterState(model) : null;
        final DataType type = params.dataType();
        final int paramCount = HostBuffer.checkedLength(params.length());
        final int stateCount = state == null ? 0 : HostBuffer.checkedLength(state.length());
        final int length = HostBuffer.checkedLength(paramCount, stateCount, "parameters + updater state values");
        if (state != null && state.dataType() != type)
        {
            throw new IllegalStateException("updater state dtype " + state.dataType() + " differs from parameter dtype " + type);
        }
        prepare(type, length, paramCount, stateCount);
        try
        {
            if (averagings == 0)
            {
                RingHandshake.verify(allReduce, "parameter vector (with updater state)", length, type, null);
            }
            paramsStaging.assign(params.reshape(paramCount));
            buffer.read(paramsStaging, 0);
            if (state != null)
            {
                stateStaging.assign(state.reshape(stateCount));
                buffer.read(stateStaging, paramCount);
            }
            buffer.allReduce(allReduce, ReduceOp.AVERAGE);
        }
        catch (final RuntimeException ex)
        {
            throw new RingTrainingException("parameter averaging " + when +
                " on rank " + allReduce.rank() + " of " + allReduce.worldSize() + " (" + model.getClass().getSimpleName() +
                " with " + paramCount + " " + type + " parameters, " + stateCount + " updater state values): " + ex.getMessage(), ex);
        }
        buffer.write(paramsStaging, 0);
        params.assign(paramsStaging.reshape(params.shape()));
        if (state != null)
        {
            buffer.write(stateStaging, paramCount);
            state.assign(stateStaging.reshape(state.shape()));
        }
        averagings++;
        trainedSinceAveraging = false;
    }

    private void prepare(final DataType type, final int length, final int paramCount, final int stateCount)
    {
        if (buffer == null || buffer.dataType() != type || buffer.length() != length)
        {
            buffer = HostBuffer.allocate(type, length);
            paramsStaging = HostBuffer.detachedVector(type, paramCount);
            stateStaging = stateCount == 0 ? null : HostBuffer.detachedVector(type, stateCount);
        }
    }

    private static INDArray updaterState(final Model model)
    {
        if (model instanceof MultiLayerNetwork network)
        {
            return network.getUpdater() == null ? null : network.getUpdater().getStateViewArray();
        }
        if (model instanceof ComputationGraph graph)
        {
            return graph.getUpdater() == null ? null : graph.getUpdater().getStateViewArray();
        }
        throw new IllegalArgumentException("updater state averaging supports MultiLayerNetwork and ComputationGraph, not " +
            model.getClass().getName());
    }
}
