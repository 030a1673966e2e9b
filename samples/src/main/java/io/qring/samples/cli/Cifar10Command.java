package io.qring.samples.cli;

import io.qring.samples.data.Cifar10Data;
import io.qring.samples.data.DataContext;
import io.qring.samples.data.TrainTestData;
import io.qring.samples.training.ModelKind;
import picocli.CommandLine.Command;

import java.util.Map;

/** {@code qring cifar10}: a small CNN on real CIFAR-10 images, trained over the quantum and the classical ring. */
@Command(name = "cifar10", mixinStandardHelpOptions = true, sortOptions = false,
    defaultValueProvider = Cifar10Command.Defaults.class,
    description = {
        "Trains a small CNN on real CIFAR-10 images on every rank of a ring, each rank on its own shard, exchanging " +
            "updates over the simulated quantum ring and, side by side with the same data and seed, over the classical " +
            "ring. Prints a summary with the per-link ledger and writes a report.",
        "Data: the standard CIFAR-10 binary batches (data_batch_1.bin ... test_batch.bin) from --data-dir, the qring or " +
            "DL4J cache, or DL4J's download when reachable (about 170 MB).",
        ""})
public final class Cifar10Command extends TrainingCommand
{
    @Override
    protected String datasetName()
    {
        return "CIFAR-10";
    }

    @Override
    protected ModelKind model()
    {
        return ModelKind.CNN;
    }

    @Override
    protected TrainTestData load(final DataContext context)
    {
        return Cifar10Data.load(context);
    }

    /** Defaults of the CIFAR-10 run: one epoch of Adam (a CNN on 2 CPU cores is slow). */
    static final class Defaults extends OptionDefaults
    {
        Defaults()
        {
            super(Map.of("--epochs", "1", "--updater", "adam", "--learning-rate", "0.001"));
        }
    }
}
