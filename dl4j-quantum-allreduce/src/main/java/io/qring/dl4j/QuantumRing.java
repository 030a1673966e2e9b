package io.qring.dl4j;

import io.qring.allreduce.AllReduce;
import io.qring.channel.ledger.LedgerSnapshot;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.OptimizationAlgorithm;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.ResidualPostProcessor;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.ThresholdAlgorithm;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.AdaptiveThresholdAlgorithm;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Entry point of the DL4J integration: one rank's view of the ring, from which the gradient
 * accumulators and training listeners are obtained. Every object obtained here issues collectives on the
 * same ring; all ranks must create and use them alike.
 *
 * <pre>{@code
 * QuantumRing ring = QuantumRing.builder().allReduce(allReduce).build();
 * model.setGradientsAccumulator(ring.accumulator(model));     // synchronous ring, one rank per JVM
 * // or: new ParallelWrapper.Builder<>(model).workers(2).trainingMode(TrainingMode.CUSTOM)
 * //         .gradientsAccumulator(ring.accumulator(model)).build();
 * }</pre>
 *
 * In DL4J 1.0.0-M2.1 only {@link OptimizationAlgorithm#STOCHASTIC_GRADIENT_DESCENT} hands updates to a
 * gradients accumulator; with any other optimization algorithm each rank would silently train alone, so
 * the accumulators obtained for a model reject such models.
 *
 * <p>CPU backend only: the adapters read and write ND4J buffers through host memory, without the
 * host/device synchronisation of ND4J's GPU backends, so obtaining an accumulator or a parameter averaging
 * listener fails with an {@link IllegalStateException} naming the backend unless ND4J runs on nd4j-native.
 *
 * <p>Closing the ring closes the {@link AllReduce} it was built with.
 */
public final class QuantumRing implements AutoCloseable
{
    /** Default for {@link Builder#exchangeTimeout(Duration)}: 60 s. */
    public static final Duration DEFAULT_EXCHANGE_TIMEOUT = Duration.ofSeconds(60);

    /** Longest {@link Builder#exchangeTimeout(Duration)}: 2^63 - 1 ns, about 292 years (deadlines are kept in ns). */
    public static final Duration MAX_EXCHANGE_TIMEOUT = Duration.ofNanos(Long.MAX_VALUE);

    /** Default for {@link Builder#nonFiniteUpdatePolicy(NonFiniteUpdatePolicy)}: fail loudly. */
    public static final NonFiniteUpdatePolicy DEFAULT_NON_FINITE_UPDATE_POLICY = NonFiniteUpdatePolicy.FAIL;

    private final AllReduce allReduce;
    private final NonFiniteUpdatePolicy nonFiniteUpdatePolicy;
    private final long exchangeTimeoutNs;

    private QuantumRing(final Builder builder)
    {
        this.allReduce = builder.allReduce;
        this.nonFiniteUpdatePolicy = builder.nonFiniteUpdatePolicy;
        this.exchangeTimeoutNs = builder.exchangeTimeout.toNanos();
    }

    /** @return a builder with the documented defaults. */
    public static Builder builder()
    {
        return new Builder();
    }

    /** @return the collective every adapter of this ring uses. */
    public AllReduce allReduce()
    {
        return allReduce;
    }

    /** @return this rank. */
    public int rank()
    {
        return allReduce.rank();
    }

    /** @return the number of ranks. */
    public int worldSize()
    {
        return allReduce.worldSize();
    }

    /**
     * A new synchronous accumulator: every iteration averages every worker's post-updater update over
     * all workers of all ranks. One per rank (shared by that rank's {@code ParallelWrapper} workers).
     *
     * @return the accumulator, for {@code model.setGradientsAccumulator(...)} or
     * {@code ParallelWrapper.Builder.gradientsAccumulator(...)} with {@code TrainingMode.CUSTOM}.
     * @throws IllegalStateException when ND4J does not run on its CPU backend.
     */
    public QuantumRingGradientsAccumulator accumulator()
    {
        return new QuantumRingGradientsAccumulator(allReduce, nonFiniteUpdatePolicy, exchangeTimeoutNs, null);
    }

    /**
     * As {@link #accumulator()}, after checking that the model trains with stochastic gradient descent, the
     * only DL4J optimizer that calls a gradients accumulator, and that its parameters are FLOAT or DOUBLE, the
     * dtypes the synchronous ring exchanges (if the model is initialised; otherwise its first update is checked,
     * see {@link QuantumRingGradientsAccumulator#storeUpdate}). Its first exchange also checks that every
     * rank's model starts from the same parameters (a CRC-32C of them), when every rank built its
     * accumulator this way: every replica applies the same averaged update, so replicas that start apart
     * would stay apart.
     *
     * @param model the model (or, for {@code ParallelWrapper}, the wrapped model) this accumulator will serve.
     * @return the accumulator.
     * @throws IllegalArgumentException when the model is configured with another optimization algorithm, or its
     *                                  parameters are neither FLOAT nor DOUBLE (e.g. HALF).
     * @throws IllegalStateException    when ND4J does not run on its CPU backend.
     */
    public QuantumRingGradientsAccumulator accumulator(final Model model)
    {
        requireStochasticGradientDescent(model);
        if (model.params() != null)
        {
            HostBuffer.requireSupported(model.params().dataType());
        }
        return new QuantumRingGradientsAccumulator(allReduce, nonFiniteUpdatePolicy, exchangeTimeoutNs, model);
    }

    /**
     * A new DL4J {@code EncodedGradientsAccumulator} with DL4J's {@code SHARED_GRADIENTS} defaults
     * ({@link AdaptiveThresholdAlgorithm}, no residual post-processing) whose encoded updates travel the ring.
     * Its first exchange also checks that every rank's model starts from the same parameters, as
     * {@link #accumulator(Model)} does. Every rank adds every rank's encoded updates in rank order, its own
     * included (DL4J adds a worker's own first), so the replicas stay bit-identical.
     *
     * @param model        the model trained on this rank (sizes the message buffers).
     * @param localWorkers training threads of this rank: 1 for {@code model.setGradientsAccumulator},
     *                     or the {@code ParallelWrapper} worker count.
     * @return the accumulator.
     * @throws IllegalArgumentException when the model is configured with an optimization algorithm other than
     *                                  stochastic gradient descent, which would not call the accumulator, when
     *                                  {@code localWorkers < 1}, or when the model has no parameters.
     * @throws IllegalStateException    when ND4J does not run on its CPU backend.
     */
    public RingEncodedGradientsAccumulator sparseAccumulator(final Model model, final int localWorkers)
    {
        requireStochasticGradientDescent(model);
        return sparseAccumulator(model.numParams(), localWorkers, new AdaptiveThresholdAlgorithm(), null, model);
    }

    /**
     * A new DL4J {@code EncodedGradientsAccumulator} whose threshold/bitmap-encoded updates travel the ring
     * through a {@link RingEncodingHandler}, with messages of at most {@code numParams / 16 + 5} ints, as DL4J's
     * {@code ParallelWrapper} sizes its own.
     *
     * @param numParams          number of parameters of the model trained on this rank.
     * @param localWorkers       training threads of this rank: 1 for {@code model.setGradientsAccumulator},
     *                           or the {@code ParallelWrapper} worker count.
     * @param thresholdAlgorithm how each worker picks its encoding threshold.
     * @param residualProcessor  optional residual post-processing, or {@code null}.
     * @return the accumulator.
     * @throws IllegalArgumentException when {@code localWorkers < 1} or {@code numParams < 1}.
     * @throws NullPointerException     when {@code thresholdAlgorithm} is null.
     * @throws IllegalStateException    when ND4J does not run on its CPU backend.
     */
    public RingEncodedGradientsAccumulator sparseAccumulator(
        final long numParams,
        final int localWorkers,
        final ThresholdAlgorithm thresholdAlgorithm,
        final ResidualPostProcessor residualProcessor)
    {
        return sparseAccumulator(numParams, localWorkers, thresholdAlgorithm, residualProcessor, null);
    }

    private RingEncodedGradientsAccumulator sparseAccumulator(
        final long numParams,
        final int localWorkers,
        final ThresholdAlgorithm thresholdAlgorithm,
        final ResidualPostProcessor residualProcessor,
        final Model model)
    {
        if (localWorkers < 1)
        {
            throw new IllegalArgumentException("a rank needs at least one local worker: " + localWorkers);
        }
        if (numParams < 1)
        {
            throw new IllegalArgumentException("the model has no parameters: " + numParams);
        }
        Objects.requireNonNull(thresholdAlgorithm, "thresholdAlgorithm");
        final long maxMessageInts = numParams / 16 + 5;
        final RingEncodingHandler handler = new RingEncodingHandler(allReduce, thresholdAlgorithm, residualProcessor,
            (int)Math.min(Integer.MAX_VALUE, maxMessageInts), exchangeTimeoutNs, model);
        return new RingEncodedGradientsAccumulator(localWorkers, handler, exchangeTimeoutNs);
    }

    /**
     * @param frequency average after every this many iterations, ≥ 1.
     * @return a new listener averaging parameters (not updater state) over the ring, after every
     * {@code frequency}-th iteration and at the end of every epoch; see {@link ParameterAveragingListener#averageNow}
     * for training loops without epoch events.
     * @throws IllegalArgumentException when {@code frequency < 1}.
     * @throws IllegalStateException    when ND4J does not run on its CPU backend.
     */
    public ParameterAveragingListener parameterAveraging(final int frequency)
    {
        return parameterAveraging(frequency, false);
    }

    /**
     * @param frequency           average after every this many iterations, ≥ 1.
     * @param averageUpdaterState whether the updater state (e.g. Adam moments) is averaged too.
     * @return a new listener averaging over the ring, after every {@code frequency}-th iteration and at the end
     * of every epoch.
     * @throws IllegalArgumentException when {@code frequency < 1}.
     * @throws IllegalStateException    when ND4J does not run on its CPU backend.
     */
    public ParameterAveragingListener parameterAveraging(final int frequency, final boolean averageUpdaterState)
    {
        return new ParameterAveragingListener(allReduce, frequency, averageUpdaterState);
    }

    /**
     * @param source the current cumulative snapshots of every link this rank can see.
     * @return a listener logging each iteration's per-link counts; use
     * {@link LedgerTrainingListener#builder(Supplier)} to also write CSV and JSON lines.
     */
    public LedgerTrainingListener ledgerListener(final Supplier<List<LedgerSnapshot>> source)
    {
        return LedgerTrainingListener.builder(source).build();
    }

    private static void requireStochasticGradientDescent(final Model model)
    {
        final NeuralNetConfiguration conf = Objects.requireNonNull(model, "model").conf();
        final OptimizationAlgorithm algorithm = conf == null ? null : conf.getOptimizationAlgo();
        if (algorithm != null && algorithm != OptimizationAlgorithm.STOCHASTIC_GRADIENT_DESCENT)
        {
            throw new IllegalArgumentException("the model uses optimization algorithm " + algorithm + ", but in DL4J " +
                "1.0.0-M2.1 only " + OptimizationAlgorithm.STOCHASTIC_GRADIENT_DESCENT + " calls a gradients accumulator: " +
                "with " + algorithm + " every rank would train alone; configure " +
                "NeuralNetConfiguration.Builder.optimizationAlgo(OptimizationAlgorithm.STOCHASTIC_GRADIENT_DESCENT)");
        }
    }

    /** Closes the {@link AllReduce}. */
    @Override
    public void close()
    {
        allReduce.close();
    }

    /** Settings of a {@link QuantumRing}, validated once by {@link #build()}. */
    public static final class Builder
    {
        private AllReduce allReduce;
        private NonFiniteUpdatePolicy nonFiniteUpdatePolicy = DEFAULT_NON_FINITE_UPDATE_POLICY;
        private Duration exchangeTimeout = DEFAULT_EXCHANGE_TIMEOUT;

        private Builder()
        {
        }

        /**
         * @param allReduce this rank's endpoint of the ring (required); once {@link #build()} succeeds the
         *                  {@link QuantumRing} owns it and its {@link QuantumRing#close()} closes it (if
         *                  {@code build()} throws, it stays the caller's to close).
         * @return this builder.
         */
        public Builder allReduce(final AllReduce allReduce)
        {
            this.allReduce = allReduce;
            return this;
        }

        /**
         * @param policy what the synchronous accumulator does with NaN or infinite updates.
         * @return this builder.
         */
        public Builder nonFiniteUpdatePolicy(final NonFiniteUpdatePolicy policy)
        {
            this.nonFiniteUpdatePolicy = policy;
            return this;
        }

        /**
         * @param timeout longest a local worker waits for its iteration's exchange (the other local workers
         *                plus the ring), at most {@link #MAX_EXCHANGE_TIMEOUT}; the ring's own deadlines apply inside it.
         * @return this builder.
         */
        public Builder exchangeTimeout(final Duration timeout)
        {
            this.exchangeTimeout = timeout;
            return this;
        }

        /**
         * @return the ring view.
         * @throws IllegalStateException when no {@link AllReduce} was given.
         * @throws IllegalArgumentException for a null non-finite update policy, or a timeout that is not
         *                                  positive or exceeds {@link #MAX_EXCHANGE_TIMEOUT}.
         */
        public QuantumRing build()
        {
            if (allReduce == null)
            {
                throw new IllegalStateException("QuantumRing needs an AllReduce: call allReduce(...) before build()");
            }
            if (nonFiniteUpdatePolicy == null)
            {
                throw new IllegalArgumentException("nonFiniteUpdatePolicy must not be null");
            }
            if (exchangeTimeout == null || exchangeTimeout.isNegative() || exchangeTimeout.isZero())
            {
                throw new IllegalArgumentException("exchangeTimeout must be positive: " + exchangeTimeout);
            }
            if (exchangeTimeout.compareTo(MAX_EXCHANGE_TIMEOUT) > 0)
            {
                throw new IllegalArgumentException("exchangeTimeout must be at most " + MAX_EXCHANGE_TIMEOUT +
                    " (2^63 - 1 ns, about 292 years): " + exchangeTimeout);
            }
            return new QuantumRing(this);
        }
    }
}
