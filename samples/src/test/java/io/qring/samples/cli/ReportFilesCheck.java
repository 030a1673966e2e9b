package io.qring.samples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qring.samples.report.ReportWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reads a report directory back and checks that every file is there and parseable. */
final class ReportFilesCheck
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path directory;
    private final JsonNode ledger;
    private final JsonNode reproduction;

    private ReportFilesCheck(final Path directory) throws IOException
    {
        this.directory = directory;
        this.ledger = JSON.readTree(directory.resolve(ReportWriter.LEDGER_JSON).toFile());
        this.reproduction = JSON.readTree(directory.resolve(ReportWriter.REPRODUCE_JSON).toFile());
    }

    /**
     * Checks the files of a report: the page with embedded charts, the PNG charts, JSON that parses, CSV
     * whose rows all have the header's number of columns.
     */
    static ReportFilesCheck read(final Path directory) throws IOException
    {
        final String index = Files.readString(directory.resolve(ReportWriter.INDEX));
        assertTrue(index.contains("<img src=\"data:image/png;base64,"), "the page embeds its charts");
        for (final String chart : List.of("online-uses-per-link.png", "cumulative-online.png"))
        {
            assertTrue(Files.size(directory.resolve(chart)) > 1000, chart);
        }
        for (final String csv : List.of(ReportWriter.LEDGER_CSV, ReportWriter.TRAINING_CSV, ReportWriter.QBER_CSV))
        {
            final List<String> lines = Files.readAllLines(directory.resolve(csv));
            final int columns = lines.get(0).split(",", -1).length;
            for (final String line : lines)
            {
                assertEquals(columns, line.split(",", -1).length, csv + ": " + line);
            }
        }
        assertTrue(Files.readString(directory.resolve(ReportWriter.REPRODUCE_TEXT)).contains("seed="));
        return new ReportFilesCheck(directory);
    }

    /** @return the run labels of the ledger, in order. */
    List<String> runs()
    {
        final List<String> runs = new ArrayList<>();
        ledger.get("runs").forEach(run -> runs.add(run.get("run").asText()));
        return runs;
    }

    /**
     * @param run     a run label.
     * @param counter a ledger counter key, e.g. {@code "onlineQubits"}.
     * @return the run's ring total of that counter.
     */
    long ringTotal(final String run, final String counter)
    {
        return runNode(run).get("ring").get(counter).asLong();
    }

    /**
     * @param run     a run label.
     * @param link    a link name, e.g. {@code "1->2"}.
     * @param counter a ledger counter key, e.g. {@code "onlineQubits"}.
     * @return the link's total of that counter over the run.
     */
    long linkTotal(final String run, final String link, final String counter)
    {
        for (final JsonNode node : runNode(run).get("links"))
        {
            if (node.get("link").asText().equals(link))
            {
                return node.get(counter).asLong();
            }
        }
        throw new AssertionError("no link " + link + " in run " + run);
    }

    /**
     * @param run   a run label.
     * @param field a field of the run in ledger.json, e.g. {@code "finalStateCrc"}.
     * @return its value as text.
     */
    String runField(final String run, final String field)
    {
        final JsonNode value = runNode(run).get(field);
        assertTrue(null != value, "no " + field + " in run " + run);
        return value.asText();
    }

    /** @return per run, the seconds column of training.csv in iteration order. */
    Map<String, List<Double>> iterationSeconds() throws IOException
    {
        final Map<String, List<Double>> seconds = new LinkedHashMap<>();
        final List<String> lines = Files.readAllLines(directory.resolve(ReportWriter.TRAINING_CSV));
        for (final String line : lines.subList(1, lines.size()))
        {
            final String[] cells = line.split(",", -1);
            if (!cells[4].isEmpty())
            {
                seconds.computeIfAbsent(cells[0], run -> new ArrayList<>()).add(Double.parseDouble(cells[4]));
            }
        }
        return seconds;
    }

    private JsonNode runNode(final String run)
    {
        for (final JsonNode node : ledger.get("runs"))
        {
            if (node.get("run").asText().equals(run))
            {
                return node;
            }
        }
        throw new AssertionError("no run " + run + " in " + runs());
    }

    /** @return per run, the losses of training.csv in iteration order, as written. */
    Map<String, List<String>> losses() throws IOException
    {
        final Map<String, List<String>> losses = new LinkedHashMap<>();
        final List<String> lines = Files.readAllLines(directory.resolve(ReportWriter.TRAINING_CSV));
        assertEquals("run,iteration,loss,testAccuracy,seconds", lines.get(0));
        for (final String line : lines.subList(1, lines.size()))
        {
            final String[] cells = line.split(",", -1);
            if (!cells[2].isEmpty())
            {
                losses.computeIfAbsent(cells[0], run -> new ArrayList<>()).add(cells[2]);
            }
        }
        return losses;
    }

    /** @return the rows of qber.csv after the header. */
    List<String[]> qberRows() throws IOException
    {
        final List<String> lines = Files.readAllLines(directory.resolve(ReportWriter.QBER_CSV));
        return lines.subList(1, lines.size()).stream().map(line -> line.split(",", -1)).toList();
    }

    /** @return the command line and seed recorded to reproduce the report. */
    JsonNode reproduction()
    {
        assertFalse(reproduction.get("commandLine").asText().isBlank());
        return reproduction;
    }
}
