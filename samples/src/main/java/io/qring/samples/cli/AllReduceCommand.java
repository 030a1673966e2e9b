package io.qring.samples.cli;

import io.qring.samples.launcher.RunOutcome;
import io.qring.samples.report.IterationRecord;
import io.qring.samples.training.AllReduceJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code qring allreduce}: the bare exchange, seeded float arrays averaged over the quantum and the classical ring. */
@Command(name = "allreduce", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Averages seeded float arrays over the ring --iterations times, over the quantum ring and then over the " +
            "classical ring, checks every result against the exact mean, and prints the per-link ledger and the time " +
            "per all-reduce. Writes a report with the ledger charts.",
        ""})
public final class AllReduceCommand extends RingCommand
{
    /** Floats per array when {@code --elements} is not given. */
    public static final int DEFAULT_ELEMENTS = 1_000_000;
    /** All-reduces when {@code --iterations} is not given. */
    public static final int DEFAULT_ITERATIONS = 20;

    @Option(names = "--elements", paramLabel = "N", defaultValue = "" + DEFAULT_ELEMENTS,
        description = "Floats per rank per all-reduce (default: ${DEFAULT-VALUE}).")
    private int elements;

    @Option(names = "--iterations", paramLabel = "N", defaultValue = "" + DEFAULT_ITERATIONS,
        description = "All-reduces per run (default: ${DEFAULT-VALUE}).")
    private int iterations;

    @Override
    protected PreparedJob prepare(final CommandSpec spec, final Placement placement, final long seed)
    {
        if (elements < 1 || iterations < 1)
        {
            throw new ParameterException(spec.commandLine(), "--elements and --iterations must be at least 1, got " +
                elements + " and " + iterations);
        }
        final Map<String, String> settings = new LinkedHashMap<>();
        settings.put("exchange", String.format(Locale.ROOT, "average of %,d floats (%.1f MB) per rank, %d times", elements,
            elements * (double)Float.BYTES / 1e6, iterations));
        final String title = "All-reduce, " + placement.worldSize() + " ranks: " + linkTitle();
        return new PreparedJob(new AllReduceJob(elements, iterations, seed), iterations, 0, title, settings, settings);
    }

    @Override
    protected void printDetails(final PrintWriter out, final List<RunOutcome> outcomes)
    {
        for (final RunOutcome outcome : outcomes)
        {
            final double[] ringSeconds = outcome.record().iterations().stream().mapToDouble(IterationRecord::seconds).toArray();
            final double mean = Arrays.stream(ringSeconds).average().orElse(0);
            final double[] sorted = ringSeconds.clone();
            Arrays.sort(sorted);
            final int middle = sorted.length / 2;
            final double median = sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
            out.printf(Locale.ROOT, "%-9s %d all-reduces of %,d floats: median %.1f ms, mean %.1f ms (slowest rank per " +
                "all-reduce); %,d evenly spaced elements of every result checked against the exact mean%n", outcome.kind().label(),
                ringSeconds.length, elements, 1e3 * median, 1e3 * mean, AllReduceJob.checkedElements(elements));
        }
        out.flush();
    }
}
