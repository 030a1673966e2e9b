package io.qring.samples.training;

import io.qring.allreduce.RingAllReduce;
import io.qring.channel.ledger.LedgerSnapshot;
import io.qring.dl4j.ParameterAveragingListener;
import io.qring.dl4j.QuantumRing;
import io.qring.samples.data.Sharding;
import io.qring.samples.data.TrainTestData;
import io.qring.samples.launcher.RankHooks;
import io.qring.samples.launcher.RankJob;
import io.qring.samples.launcher.RankResult;
import io.qring.samples.report.Evaluation;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32;

/**
 * Trains one rank: a model initialised from the shared seed (identical on every rank), the rank's
 * disjoint shard of the training set in the same number of minibatches as every other rank, and the
 * gradient exchange of the chosen {@link ExchangeMode} over the ring. After each iteration the rank
 * records its minibatch loss, the time of its {@code fit} call and score read (forward, backward, the
 * exchange and the update; {@link RankResult#iterationSeconds()}) and the cumulative ledgers of its links. At the end
 * of each epoch every rank in {@link ExchangeMode#AVERAGING} mode averages its parameters over the ring once
 * more (the iterations after the epoch's last periodic averaging would otherwise leave the ranks apart); its
 * link counts go to the ledgers recorded for the epoch's last iteration. Then rank 0 evaluates the whole
 * test set, with the same parameters as every rank, and records, with the accuracy, the epoch's wall time
 * on rank 0 ({@link Evaluation#epochSeconds()}): from the reset of its shard to the end of its last
 * iteration and of the epoch-end averaging, so it also counts drawing the batches from the shard and the
 * per-iteration recording, but not the evaluation.
 */
public final class TrainingJob implements RankJob
{
    /** Test examples per evaluation batch. */
    public static final int EVALUATION_BATCH = 500;

    private final TrainTestData data;
    private final TrainingSettings settings;

    /**
     * @param data     the training and test sets (shared, read-only).
     * @param settings how to train.
     */
    public TrainingJob(final TrainTestData data, final TrainingSettings settings)
    {
        this.data = data;
        this.settings = settings;
    }

    /**
     * @param worldSize number of ranks.
     * @return iterations every rank runs.
     * @throws IllegalArgumentException if the training set is too small for that many ranks.
     */
    public int iterations(final int worldSize)
    {
        return settings.epochs() * Sharding.batchesPerEpoch(data.train().size(), worldSize, settings.batchSize());
    }

    /** @return a description of the model, e.g. {@code "MLP 784-256-10 (…)"}. */
    public String modelDescription()
    {
        return settings.model().describe(data.train().exampleShape(), data.train().numClasses());
    }

    @Override
    public RankResult run(final RingAllReduce ring, final RankHooks hooks)
    {
        final long start = System.nanoTime();
        final int rank = ring.rank();
        final MultiLayerNetwork model = settings.model().create(data.train().exampleShape(), data.train().numClasses(),
            settings.updater().updater(settings.learningRate()), settings.seed());
        final BooleanSupplier epochEnd =
            attachExchange(model, QuantumRing.builder().allReduce(ring).exchangeTimeout(settings.exchangeTimeout()).build());
        final DataSetIterator shard = data.trainIterator(rank, ring.worldSize(), settings.batchSize(), settings.seed());
        final List<Double> losses = new ArrayList<>();
        final List<Double> seconds = new ArrayList<>();
        final List<List<LedgerSnapshot>> ledgers = new ArrayList<>();
        final List<Evaluation> evaluations = new ArrayList<>();
        long iteration = 0;
        for (int epoch = 1; epoch <= settings.epochs(); epoch++)
        {
            final long epochStart = System.nanoTime();
            shard.reset();
            while (shard.hasNext())
            {
                final DataSet batch = shard.next();
                hooks.qberLog().iteration(rank, iteration);
                final long began = System.nanoTime();
                model.fit(batch);
                final double loss = model.score();
                seconds.add((System.nanoTime() - began) / 1e9);
                losses.add(loss);
                ledgers.add(ring.linkLedgers());
                hooks.progress().iterationDone(rank, iteration, loss);
                iteration++;
            }
            if (epochEnd.getAsBoolean())
            {
                ledgers.set(ledgers.size() - 1, ring.linkLedgers());
            }
            if (0 == rank)
            {
                final double epochSeconds = (System.nanoTime() - epochStart) / 1e9;
                final double accuracy = model.evaluate(data.testIterator(EVALUATION_BATCH)).accuracy();
                evaluations.add(new Evaluation(iteration - 1, accuracy, epochSeconds));
                hooks.progress().evaluated(epoch, iteration - 1, accuracy);
            }
        }
        return new RankResult(rank, losses, seconds, ledgers, evaluations, hooks.qberLog().estimates(rank),
            parameterChecksum(model), (System.nanoTime() - start) / 1e9);
    }

    /**
     * Sets up the model's exchange of the chosen mode.
     *
     * @return what every rank runs at the end of each epoch so that all ranks hold the same parameters, and
     * which tells whether it used the ring: the final averaging in {@link ExchangeMode#AVERAGING} mode (a
     * collective), nothing in the other modes, whose ranks agree after every iteration.
     */
    private BooleanSupplier attachExchange(final MultiLayerNetwork model, final QuantumRing quantumRing)
    {
        switch (settings.mode())
        {
            case SYNC ->
            {
                model.setGradientsAccumulator(quantumRing.accumulator(model));
                return () -> false;
            }
            case SPARSE ->
            {
                model.setGradientsAccumulator(quantumRing.sparseAccumulator(model, 1));
                return () -> false;
            }
            case AVERAGING ->
            {
                final ParameterAveragingListener averaging = quantumRing.parameterAveraging(settings.averageEvery());
                model.addListeners(averaging);
                return () ->
                {
                    averaging.averageNow(model);
                    return true;
                };
            }
            default -> throw new IllegalStateException("unknown exchange mode " + settings.mode());
        }
    }

    private static long parameterChecksum(final MultiLayerNetwork model)
    {
        final CRC32 crc = new CRC32();
        crc.update(model.params().dup().data().asBytes());
        return crc.getValue();
    }
}
