package io.qring.samples.cli;

import io.qring.allreduce.config.LinkRateModel;
import io.qring.samples.QringCli;
import io.qring.samples.launcher.ChildRank;
import io.qring.samples.launcher.ConsoleProgress;
import io.qring.samples.launcher.LinkKind;
import io.qring.samples.launcher.MultiHostRank;
import io.qring.samples.launcher.ProcessLauncher;
import io.qring.samples.launcher.ProgressFactory;
import io.qring.samples.launcher.QuantumLinkPlan;
import io.qring.samples.launcher.RingPlan;
import io.qring.samples.launcher.RunOutcome;
import io.qring.samples.launcher.ThreadLauncher;
import io.qring.samples.report.Report;
import io.qring.samples.report.ReportFiles;
import io.qring.samples.report.ReportWriter;
import io.qring.samples.report.Reproduction;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * What every subcommand does around its job: resolve where the ranks run, print what will run, launch
 * (threads, child JVMs, or one rank of a multi-host ring), then print the summary and write the report.
 */
public abstract class RingCommand implements Callable<Integer>
{
    /** Seed when {@code --seed} is not given. */
    public static final long DEFAULT_SEED = 42;
    /** Heap of each child JVM of {@code --launch processes}. */
    public static final String CHILD_HEAP = "-Xmx1536m";
    /**
     * Environment variable with extra JVM options (e.g. {@code -Xmx4g}) separated by blanks: the {@code qring}
     * script gives them to the JVM it starts, and {@code --launch processes} to each child JVM after
     * {@link #CHILD_HEAP}, so a heap given here wins.
     */
    static final String JAVA_OPTS_ENV = "QRING_JAVA_OPTS";

    @Spec
    private CommandSpec spec;

    @ParentCommand
    private QringCli cli;

    @Mixin
    private RingOptions ringOptions;

    @Mixin
    private LinkOptions linkOptions;

    @Option(names = "--seed", paramLabel = "SEED", defaultValue = "" + DEFAULT_SEED,
        description = "Seed of data order, model initialisation, EPR pairs and noise (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--report", paramLabel = "DIR",
        description = "Where to write the report (default: qring-report/<command>).")
    private Path reportDirectory;

    /**
     * Loads what the job needs and builds it.
     *
     * @param spec      this command, for error messages.
     * @param placement where the ranks run.
     * @param seed      the launch's seed.
     * @return the job.
     * @throws Exception when the job cannot be prepared (e.g. its data is unavailable).
     */
    protected abstract PreparedJob prepare(CommandSpec spec, Placement placement, long seed) throws Exception;

    /** @return longest wait for one message of an exchange. */
    protected final Duration operationTimeout()
    {
        return ringOptions.operationTimeout();
    }

    /** @return what the launch compares, e.g. {@code "quantum vs classical ring"}. */
    protected final String linkTitle()
    {
        return String.join(" vs ", linkOptions.links().stream().map(LinkKind::label).toList()) + " ring";
    }

    /**
     * Prints what only this command reports, after the summary; nothing by default.
     *
     * @param out      the console.
     * @param outcomes the runs.
     */
    protected void printDetails(final PrintWriter out, final List<RunOutcome> outcomes)
    {
    }

    @Override
    public final Integer call() throws Exception
    {
        ringOptions.validateTimeouts(spec);
        final Placement placement = ringOptions.placement(spec, cli.environment());
        final boolean child = Placement.Kind.CHILD == placement.kind();
        final PrintWriter out = child ? new PrintWriter(Writer.nullWriter()) : spec.commandLine().getOut();
        final QuantumLinkPlan quantum = linkOptions.quantumPlan(spec, placement.worldSize());
        final LinkRateModel rateModel = linkOptions.rateModel(spec);
        final Path directory = null != reportDirectory ? reportDirectory : Path.of("qring-report", spec.name());
        if (placement.reports())
        {
            requireWritable(directory);
        }
        final PreparedJob job = prepare(spec, placement, seed);
        final RingPlan plan = new RingPlan(placement.worldSize(), placement.transport(), linkOptions.links(), quantum, seed,
            ringOptions.connectTimeout(), ringOptions.operationTimeout(), rateModel, linkOptions.paced(), sharedSettings(job));
        if (child)
        {
            return ChildRank.run(plan, placement.rank(), placement.secret(), job.job(),
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), System.out);
        }
        final Map<String, String> configuration = configuration(placement, job);
        printHeader(out, job, configuration, seed);
        final boolean interactive = null != System.console();
        final ProgressFactory progress = (kind, trackedRanks) -> ConsoleProgress.start(out, System.err, kind.label(), trackedRanks,
            job.iterations(), job.epochs(), interactive);
        final List<RunOutcome> outcomes = switch (placement.kind())
        {
            case THREADS -> ThreadLauncher.run(plan, job.job(), progress);
            case PROCESSES -> ProcessLauncher.run(plan,
                rank -> childCommand(cli.originalArgs(), cli.environment(), placement.worldSize(), rank), progress, System.err,
                cli.verbose());
            case MULTI_HOST -> MultiHostRank.run(plan, placement.rank(), placement.peers(), placement.secret(), job.job(), progress)
                .orElse(List.of());
            case CHILD -> throw new IllegalStateException("child ranks return above");
        };
        if (!placement.reports())
        {
            out.println("Rank " + placement.rank() + " finished; rank 0 prints the summary and writes the report.");
            return 0;
        }
        ConsoleSummary.print(out, outcomes);
        printDetails(out, outcomes);
        final ReportFiles files = ReportWriter.write(new Report(job.title(), new Reproduction(cli.commandLine(), seed, configuration),
            outcomes.stream().map(RunOutcome::record).toList()), directory);
        out.println("Report: " + files.index().toAbsolutePath().normalize());
        out.flush();
        return 0;
    }

    /**
     * Checks before anything runs that the report directory can be written, so a run is never lost to a
     * report it cannot write: the directory, or its nearest existing ancestor, must be a writable directory.
     * Nothing is created here (a run that fails leaves no report directory behind).
     */
    private void requireWritable(final Path directory)
    {
        Path existing = directory.toAbsolutePath();
        while (null != existing && !Files.exists(existing))
        {
            existing = existing.getParent();
        }
        if (null == existing || !Files.isDirectory(existing) || !Files.isWritable(existing))
        {
            throw new ParameterException(spec.commandLine(), "--report " + directory + ": " +
                (null == existing ? "no part of the path exists" : existing + " is not a writable directory"));
        }
    }

    /**
     * What every rank must share besides the links, checked when each ring connects: the command, the seed
     * and the job's shared settings. Ranks started by hand on several hosts with different options then fail
     * at connect, naming the options, instead of running different jobs.
     */
    private Map<String, String> sharedSettings(final PreparedJob job)
    {
        final Map<String, String> shared = new TreeMap<>();
        shared.put("command", spec.name());
        shared.put("seed", Long.toString(seed));
        job.shared().forEach((name, value) -> shared.put("job." + name, value));
        return shared;
    }

    private Map<String, String> configuration(final Placement placement, final PreparedJob job)
    {
        final Map<String, String> configuration = new LinkedHashMap<>();
        configuration.put("ranks", placement.describe());
        configuration.putAll(job.settings());
        configuration.putAll(linkOptions.describe());
        configuration.put("connect-timeout", ringOptions.connectTimeout().toMillis() / 1000.0 + " s");
        configuration.put("operation-timeout", ringOptions.operationTimeout().toMillis() / 1000.0 + " s");
        return configuration;
    }

    private static void printHeader(
        final PrintWriter out, final PreparedJob job, final Map<String, String> configuration, final long seed)
    {
        out.println(job.title());
        configuration.forEach((name, value) -> out.printf("  %-22s %s%n", name, value));
        out.printf("  %-22s %d%n", "seed", seed);
        out.println();
        out.flush();
    }

    /**
     * The command line of one child JVM of {@code --launch processes}.
     *
     * @param args        this command's arguments, subcommand included.
     * @param environment this process's environment ({@value #JAVA_OPTS_ENV}, split at blanks as the shell does).
     * @param worldSize   the ring's size.
     * @param rank        the child's rank.
     * @return java, its options, the class path and main class, {@code args} and the child's own options.
     */
    static List<String> childCommand(final List<String> args, final Map<String, String> environment, final int worldSize,
        final int rank)
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add(CHILD_HEAP);
        for (final String option : environment.getOrDefault(JAVA_OPTS_ENV, "").split("[ \t\n]+"))
        {
            if (!option.isEmpty())
            {
                command.add(option);
            }
        }
        command.addAll(QringCli.JVM_OPENS);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(QringCli.class.getName());
        command.addAll(args);
        command.addAll(RingOptions.childOptions(worldSize, rank));
        return command;
    }
}
