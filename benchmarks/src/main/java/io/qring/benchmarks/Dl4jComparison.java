package io.qring.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qring.allreduce.config.LinkRateModel;
import io.qring.allreduce.config.TransportKind;
import io.qring.samples.data.DataContext;
import io.qring.samples.data.MnistData;
import io.qring.samples.data.TrainTestData;
import io.qring.samples.launcher.LinkKind;
import io.qring.samples.launcher.NativeThreads;
import io.qring.samples.launcher.ProgressSink;
import io.qring.samples.launcher.QuantumLinkPlan;
import io.qring.samples.launcher.RingPlan;
import io.qring.samples.launcher.RunOutcome;
import io.qring.samples.launcher.ThreadLauncher;
import io.qring.samples.report.Evaluation;
import io.qring.samples.training.ExchangeMode;
import io.qring.samples.training.ModelKind;
import io.qring.samples.training.TrainingJob;
import io.qring.samples.training.TrainingSettings;
import io.qring.samples.training.UpdaterKind;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * DL4J's own gradient sharing against our rings on real MNIST, on the same machine, data, model, seed
 * and initial parameters (MLP 784-256-10, Nesterov momentum, {@value #BATCH_PER_WORKER} examples per
 * worker or rank per iteration, 4 workers or ranks, all threads of this JVM):
 * <ol>
 * <li>{@code dl4jSharedGradients}: DL4J {@code ParallelWrapper} SHARED_GRADIENTS ({@link SharedGradientsTraining});</li>
 * <li>{@code ringClassical}: our synchronous ring (every update averaged) over classical links;</li>
 * <li>{@code ringQuantum}: the same over noiseless quantum links (superdense coding);</li>
 * <li>{@code sparseQuantum}: our sparse mode (DL4J's threshold-encoded updates around the ring) over quantum links.</li>
 * </ol>
 * Runs (ii)–(iv) are the samples' {@link TrainingJob} on the {@link ThreadLauncher} (IPC). Both
 * gradient-sharing runs apply the sum of every worker's update, so their learning rate is the
 * synchronous one divided by the workers (as the samples' CLI does for sparse mode). The test set is
 * evaluated after every epoch. Every {@code epochSeconds} is a wall time that excludes that evaluation and
 * counts everything else the epoch does: for DL4J, resetting the data, the wrapper's {@code fit} (drawing
 * the batches, replicating the model to the workers, training, sharing) and its {@code shutdown}; for a ring,
 * rank 0's epoch from the reset of its shard to the end of its last iteration (drawing the batches,
 * {@code fit} with the exchange over the ring, recording the loss and ledgers), which in sync mode also
 * covers waiting for the slowest rank. Only rank 0 is timed: it alone evaluates, so another rank's next
 * epoch would include waiting for that evaluation at its first exchange. Prints ONE JSON line on stdout
 * (logs go to stderr): per run the median and every epoch time, the accuracy after every epoch and the
 * training time to {@value Evaluation#TARGET_TEST_ACCURACY} test accuracy (JSON null if never reached within
 * {@code --max-epochs}); the ratios quantum/classical median epoch time (target ≤
 * {@value AllReduceComparison#TARGET_QUANTUM_OVER_CLASSICAL_TIME}) and quantum ring vs DL4J time to the accuracy (target &lt; 1).
 * Run: {@code mvn -B -pl benchmarks compile exec:exec@dl4j}; shrink it with
 * {@code -Ddl4j.args="--max-epochs=1 --max-train=800 --max-test=200"}.
 */
@Command(name = "dl4j", mixinStandardHelpOptions = true,
    description = "Times DL4J ParallelWrapper SHARED_GRADIENTS against our rings on MNIST; prints one JSON line.")
public final class Dl4jComparison implements Callable<Integer>
{
    /** Workers of the ParallelWrapper and ranks of each ring. */
    public static final int WORKERS = 4;
    /**
     * Largest batch per worker or rank per iteration: DL4J's wrapper gets the whole training set in ⌈n/32⌉
     * near-equal batches of at most this size; a ring rank splits its shard into equal batches of at most
     * this size, one more on a rank whose shard holds an extra example
     * ({@link io.qring.samples.data.Sharding#batchesPerEpoch}).
     */
    public static final int BATCH_PER_WORKER = 32;
    /** Learning rate of the synchronous rings (the samples' MNIST default). */
    public static final double SYNC_LEARNING_RATE = 0.1;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--max-epochs", defaultValue = "10", description = "epochs of every run (default: ${DEFAULT-VALUE})")
    private int maxEpochs;

    @Option(names = "--max-train", defaultValue = "0", description = "training examples to keep, 0 for all (default: ${DEFAULT-VALUE})")
    private int maxTrain;

    @Option(names = "--max-test", defaultValue = "0", description = "test examples to keep, 0 for all (default: ${DEFAULT-VALUE})")
    private int maxTest;

    @Option(names = "--seed", defaultValue = "" + DataContext.DEFAULT_SEED,
        description = "seed of data order, initialisation and link noise (default: ${DEFAULT-VALUE})")
    private long seed;

    @Option(names = "--target-accuracy", defaultValue = "" + Evaluation.TARGET_TEST_ACCURACY,
        description = "test accuracy whose time to reach is compared (default: ${DEFAULT-VALUE})")
    private double targetAccuracy;

    @Option(names = "--timeout", defaultValue = "600",
        description = "seconds any one epoch (DL4J) or ring operation may take (default: ${DEFAULT-VALUE})")
    private int timeoutSeconds;

    /**
     * @param args options, see {@code --help}.
     */
    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new Dl4jComparison()).execute(args));
    }

    /**
     * Runs the comparison with these arguments in this JVM.
     *
     * @param args options as on the command line.
     * @return the report, as printed by {@link #main}.
     */
    public static ObjectNode compare(final String... args)
    {
        final Dl4jComparison comparison = new Dl4jComparison();
        new CommandLine(comparison).parseArgs(args);
        return comparison.report();
    }

    /** Runs the comparison and prints its one JSON line. */
    @Override
    public Integer call()
    {
        System.out.println(report().toString());
        return 0;
    }

    private ObjectNode report()
    {
        if (maxEpochs < 1 || maxTrain < 0 || maxTest < 0 || timeoutSeconds < 1 || !(targetAccuracy > 0 && targetAccuracy <= 1))
        {
            throw new IllegalArgumentException("need --max-epochs >= 1, --max-train and --max-test >= 0, --timeout >= 1 " +
                "and --target-accuracy in (0, 1]");
        }
        final long start = System.nanoTime();
        final OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        final double loadAtStart = os.getSystemLoadAverage();
        final TrainTestData data = MnistData.load(new DataContext().seed(seed).dl4jDownload(false)
            .maxTrainExamples(maxTrain).maxTestExamples(maxTest));
        NativeThreads.limitUnlessSet();
        final double sharedLearningRate = SYNC_LEARNING_RATE / WORKERS;
        final Duration timeout = Duration.ofSeconds(timeoutSeconds);

        final TrainingCurve dl4j = SharedGradientsTraining.train(
            ModelKind.MLP.create(data.train().exampleShape(), data.train().numClasses(),
                UpdaterKind.NESTEROVS.updater(sharedLearningRate), seed),
            data, WORKERS, BATCH_PER_WORKER, maxEpochs, seed, timeout);
        final List<RunOutcome> sync = ThreadLauncher.run(plan(List.of(LinkKind.CLASSICAL, LinkKind.QUANTUM), timeout),
            new TrainingJob(data, settings(ExchangeMode.SYNC, SYNC_LEARNING_RATE, timeout)), (kind, ranks) -> ProgressSink.NONE);
        final TrainingCurve classical = TrainingCurve.ofRank(sync.get(0).ranks().get(0));
        final TrainingCurve quantum = TrainingCurve.ofRank(sync.get(1).ranks().get(0));
        final RunOutcome sparseRun = ThreadLauncher.run(plan(List.of(LinkKind.QUANTUM), timeout),
            new TrainingJob(data, settings(ExchangeMode.SPARSE, sharedLearningRate, timeout)), (kind, ranks) -> ProgressSink.NONE)
            .get(0);
        final TrainingCurve sparse = TrainingCurve.ofRank(sparseRun.ranks().get(0));

        final ObjectNode report = JSON.createObjectNode()
            .put("benchmark", "dl4j")
            .put("data", data.source())
            .put("trainExamples", data.train().size())
            .put("testExamples", data.test().size())
            .put("model", ModelKind.MLP.describe(data.train().exampleShape(), data.train().numClasses()))
            .put("updater", "nesterovs, momentum " + UpdaterKind.MOMENTUM)
            .put("workers", WORKERS)
            .put("batchPerWorker", BATCH_PER_WORKER)
            .put("syncLearningRate", SYNC_LEARNING_RATE)
            .put("sharedGradientsLearningRate", sharedLearningRate)
            .put("epochs", maxEpochs)
            .put("seed", seed)
            .put("targetAccuracy", targetAccuracy)
            .put("cores", Runtime.getRuntime().availableProcessors())
            .put("java", System.getProperty("java.version"))
            .put("loadAverageAtStart", Figures.round(loadAtStart));
        report.putObject("targets")
            .put("quantumOverClassicalEpochTimeMax", AllReduceComparison.TARGET_QUANTUM_OVER_CLASSICAL_TIME)
            .put("quantumOverDl4jTimeToTargetMax", 1.0);
        final ObjectNode runs = report.putObject("runs");
        dl4j.writeTo(runs.putObject("dl4jSharedGradients"), targetAccuracy);
        classical.writeTo(runs.putObject("ringClassical"), targetAccuracy).put("ranksAgree", sync.get(0).ranksAgree());
        quantum.writeTo(runs.putObject("ringQuantum"), targetAccuracy).put("ranksAgree", sync.get(1).ranksAgree())
            .put("sameParametersAsClassical", sync.get(0).finalStateCrc() == sync.get(1).finalStateCrc());
        sparse.writeTo(runs.putObject("sparseQuantum"), targetAccuracy).put("ranksAgree", sparseRun.ranksAgree());

        final double epochRatio = quantum.medianEpochSeconds() / classical.medianEpochSeconds();
        final ObjectNode ratios = report.putObject("ratios")
            .put("quantumOverClassicalEpochTime", Figures.round(epochRatio))
            .put("quantumOverDl4jEpochTime", Figures.round(quantum.medianEpochSeconds() / dl4j.medianEpochSeconds()))
            .put("sparseOverDl4jEpochTime", Figures.round(sparse.medianEpochSeconds() / dl4j.medianEpochSeconds()));
        final OptionalDouble quantumToTarget = quantum.secondsTo(targetAccuracy);
        final OptionalDouble dl4jToTarget = dl4j.secondsTo(targetAccuracy);
        final ObjectNode meets = report.putObject("meetsTargets")
            .put("quantumOverClassicalEpochTime", epochRatio <= AllReduceComparison.TARGET_QUANTUM_OVER_CLASSICAL_TIME);
        if (quantumToTarget.isPresent() && dl4jToTarget.isPresent())
        {
            final double ratio = quantumToTarget.getAsDouble() / dl4jToTarget.getAsDouble();
            ratios.put("quantumOverDl4jTimeToTarget", Figures.round(ratio));
            meets.put("quantumAheadOfDl4jToTarget", ratio < 1);
        }
        else
        {
            ratios.putNull("quantumOverDl4jTimeToTarget");
            meets.put("quantumAheadOfDl4jToTarget", quantumToTarget.isPresent());
        }
        report.put("loadAverageAtEnd", Figures.round(os.getSystemLoadAverage()));
        report.put("elapsedSeconds", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) / 1000.0);
        return report;
    }

    private TrainingSettings settings(final ExchangeMode mode, final double learningRate, final Duration timeout)
    {
        return new TrainingSettings(ModelKind.MLP, UpdaterKind.NESTEROVS, learningRate, mode, 1, maxEpochs, BATCH_PER_WORKER,
            seed, timeout.multipliedBy(2));
    }

    private RingPlan plan(final List<LinkKind> links, final Duration timeout)
    {
        final QuantumLinkPlan noiseless = QuantumLinkPlan.noiseless();
        return new RingPlan(WORKERS, TransportKind.IPC, links, noiseless, seed, Duration.ofSeconds(30), timeout,
            new LinkRateModel(1e9, 1e9, 1e-4), false, Map.of());
    }
}
