package io.qring.samples.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.qring.allreduce.LedgerJson;
import io.qring.channel.ledger.LedgerSnapshot;
import org.knowm.xchart.BitmapEncoder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@link Report} into a directory: PNG charts, {@value #INDEX} embedding them with the
 * summary tables, the raw ledger ({@value #LEDGER_JSON}, {@value #LEDGER_CSV}), the training curves
 * ({@value #TRAINING_CSV}), the QBER estimates ({@value #QBER_CSV}) and what reproduces the run
 * ({@value #REPRODUCE_TEXT}, {@value #REPRODUCE_JSON}). Existing files of the same names are replaced, and
 * a chart file this writer names but this report has no data for (e.g. {@code qber.png} of an earlier
 * quantum run in a folder now reused for a classical run) is deleted, so every chart in the folder belongs
 * to the report beside it. No other file in the folder is touched.
 */
public final class ReportWriter
{
    /** The HTML page. */
    public static final String INDEX = "index.html";
    /** Per-run ledger totals, final state (CRC-32 and whether the ranks agree) and per-iteration, per-link deltas as JSON. */
    public static final String LEDGER_JSON = "ledger.json";
    /** Per-iteration, per-link ledger deltas as CSV: {@code run,iteration,} then {@link LedgerSnapshot#csvHeader()}. */
    public static final String LEDGER_CSV = "ledger.csv";
    /**
     * Per iteration as CSV: loss (NaN for a bare all-reduce), test accuracy when evaluated, and the iteration's
     * wall time in seconds on its slowest rank (for a bare all-reduce, the time of one all-reduce).
     */
    public static final String TRAINING_CSV = "training.csv";
    /** QBER estimates as CSV. */
    public static final String QBER_CSV = "qber.csv";
    /** Command line, seed and configuration as text. */
    public static final String REPRODUCE_TEXT = "reproduce.txt";
    /** Command line, seed and configuration as JSON. */
    public static final String REPRODUCE_JSON = "reproduce.json";

    private static final ObjectMapper JSON = LedgerJson.mapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ReportWriter()
    {
    }

    /**
     * @param report    what to report.
     * @param directory where to write it; created when missing.
     * @return the files written.
     * @throws IOException if a file cannot be written or a stale chart cannot be deleted.
     */
    public static ReportFiles write(final Report report, final Path directory) throws IOException
    {
        Files.createDirectories(directory);
        final List<HtmlPage.RenderedChart> rendered = new ArrayList<>();
        final List<Path> chartFiles = new ArrayList<>();
        for (final Charts.NamedChart chart : Charts.all(report.runs()))
        {
            final byte[] png = BitmapEncoder.getBitmapBytes(chart.chart(), BitmapEncoder.BitmapFormat.PNG);
            final Path file = directory.resolve(chart.fileName());
            Files.write(file, png);
            chartFiles.add(file);
            rendered.add(new HtmlPage.RenderedChart(chart.fileName(), chart.caption(), png));
        }
        for (final String fileName : Charts.FILE_NAMES)
        {
            if (rendered.stream().noneMatch(chart -> chart.fileName().equals(fileName)))
            {
                Files.deleteIfExists(directory.resolve(fileName));
            }
        }

        final Path ledgerJson = directory.resolve(LEDGER_JSON);
        JSON.writeValue(ledgerJson.toFile(), ledgerTree(report.runs()));
        final Path ledgerCsv = writeLines(directory.resolve(LEDGER_CSV), ledgerCsv(report.runs()));
        final Path trainingCsv = writeLines(directory.resolve(TRAINING_CSV), trainingCsv(report.runs()));
        final Path qberCsv = writeLines(directory.resolve(QBER_CSV), qberCsv(report.runs()));
        final Path reproduceText = writeLines(directory.resolve(REPRODUCE_TEXT), reproduceText(report.reproduction()));
        final Path reproduceJson = directory.resolve(REPRODUCE_JSON);
        JSON.writeValue(reproduceJson.toFile(), report.reproduction());

        final Path index = directory.resolve(INDEX);
        Files.writeString(index, HtmlPage.render(report, rendered,
            List.of(LEDGER_JSON, LEDGER_CSV, TRAINING_CSV, QBER_CSV, REPRODUCE_TEXT, REPRODUCE_JSON)), StandardCharsets.UTF_8);
        return new ReportFiles(directory, index, chartFiles, ledgerJson, ledgerCsv, trainingCsv, qberCsv, reproduceText,
            reproduceJson);
    }

    private static Map<String, Object> ledgerTree(final List<RunRecord> runs)
    {
        final List<Object> runTrees = new ArrayList<>();
        for (final RunRecord run : runs)
        {
            final Map<String, Object> tree = new LinkedHashMap<>();
            tree.put("run", run.label());
            tree.put("ring", run.ringTotal());
            tree.put("links", List.copyOf(run.linkTotals().values()));
            tree.put("wallSeconds", run.wallSeconds());
            tree.put("modelledOnlineSeconds", run.modelledOnlineSeconds());
            run.finalState().ifPresent(state ->
            {
                tree.put("finalStateCrc", state.crcHex());
                tree.put("ranksAgree", state.ranksAgree());
            });
            final List<Object> iterations = new ArrayList<>();
            for (final IterationRecord iteration : run.iterations())
            {
                final Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("iteration", iteration.iteration());
                entry.put("links", iteration.linkDeltas());
                iterations.add(entry);
            }
            tree.put("iterations", iterations);
            runTrees.add(tree);
        }
        return Map.of("runs", runTrees);
    }

    private static List<String> ledgerCsv(final List<RunRecord> runs)
    {
        final List<String> lines = new ArrayList<>();
        lines.add("run,iteration," + LedgerSnapshot.csvHeader());
        for (final RunRecord run : runs)
        {
            for (final IterationRecord iteration : run.iterations())
            {
                for (final LedgerSnapshot delta : iteration.linkDeltas())
                {
                    requirePlainCsv(delta.link(), "link name");
                    lines.add(csv(run.label()) + "," + iteration.iteration() + "," + delta.toCsvRow());
                }
            }
        }
        return lines;
    }

    private static List<String> trainingCsv(final List<RunRecord> runs)
    {
        final List<String> lines = new ArrayList<>();
        lines.add("run,iteration,loss,testAccuracy,seconds");
        for (final RunRecord run : runs)
        {
            final Map<Long, Double> accuracy = new LinkedHashMap<>();
            run.evaluations().forEach(e -> accuracy.put(e.iteration(), e.testAccuracy()));
            for (final IterationRecord iteration : run.iterations())
            {
                final Double testAccuracy = accuracy.remove(iteration.iteration());
                lines.add(csv(run.label()) + "," + iteration.iteration() + "," + number(iteration.loss()) + "," +
                    (testAccuracy == null ? "" : number(testAccuracy)) + "," + number(iteration.seconds()));
            }
            accuracy.forEach((iteration, testAccuracy) ->
                lines.add(csv(run.label()) + "," + iteration + ",," + number(testAccuracy) + ","));
        }
        return lines;
    }

    private static List<String> qberCsv(final List<RunRecord> runs)
    {
        final List<String> lines = new ArrayList<>();
        lines.add("run,link,round,iteration,sampledPairs,estimate,upperBound,alarm");
        for (final RunRecord run : runs)
        {
            for (final QberEstimate e : run.qberEstimates())
            {
                lines.add(String.join(",", csv(run.label()), csv(e.link()), Long.toString(e.round()),
                    Long.toString(e.iteration()), Long.toString(e.sampledPairs()), number(e.estimate()),
                    number(e.upperBound()), Boolean.toString(e.alarm())));
            }
        }
        return lines;
    }

    private static List<String> reproduceText(final Reproduction reproduction)
    {
        final List<String> lines = new ArrayList<>();
        lines.add("# Run this command to reproduce the report (same seed, same configuration):");
        lines.add(reproduction.commandLine());
        lines.add("");
        lines.add("seed=" + reproduction.seed());
        reproduction.configuration().forEach((key, value) -> lines.add(key + "=" + value));
        return lines;
    }

    private static Path writeLines(final Path file, final List<String> lines) throws IOException
    {
        return Files.write(file, lines, StandardCharsets.UTF_8);
    }

    private static String number(final double value)
    {
        return Double.toString(value);
    }

    /** Quotes a CSV field when it holds a comma, quote or line break (RFC 4180). */
    static String csv(final String field)
    {
        if (field.indexOf(',') < 0 && field.indexOf('"') < 0 && field.indexOf('\n') < 0 && field.indexOf('\r') < 0)
        {
            return field;
        }
        return '"' + field.replace("\"", "\"\"") + '"';
    }

    private static void requirePlainCsv(final String field, final String what)
    {
        if (!csv(field).equals(field))
        {
            throw new IllegalArgumentException(what + " must not hold commas, quotes or line breaks: " + field);
        }
    }
}
