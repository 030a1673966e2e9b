package io.qring.dl4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;
import io.qring.channel.ledger.LinkLedger;
import io.qring.dl4j.support.Fixtures;
import io.qring.dl4j.support.ThreadedAllReduce;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Per-iteration ledger differences, in the log and in the CSV and JSON-lines files. */
class LedgerTrainingListenerTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void shouldWriteEachIterationsPerLinkDifferencesAsCsvAndJsonLines(@TempDir final Path dir) throws Exception
    {
        final LinkLedger forward = new LinkLedger(LinkLedger.linkName(0, 1));
        final LinkLedger backward = new LinkLedger(LinkLedger.linkName(1, 0));
        forward.add(LedgerCounter.PAYLOAD_BITS, 1000);
        final Path csv = dir.resolve("ledger.csv");
        final Path jsonLines = dir.resolve("out/ledger.jsonl");

        try (LedgerTrainingListener listener = LedgerTrainingListener.builder(() -> List.of(forward.snapshot(), backward.snapshot()))
            .csvFile(csv)
            .jsonLinesFile(jsonLines)
            .build())
        {
            forward.add(LedgerCounter.PAYLOAD_BITS, 64);
            forward.add(LedgerCounter.ONLINE_QUBITS, 32);
            backward.add(LedgerCounter.PAYLOAD_BITS, 128);
            listener.iterationDone(null, 0, 0);
            listener.exchangeDone(0, 0, true);
            forward.add(LedgerCounter.PAYLOAD_BITS, 16);
            backward.add(LedgerCounter.ONLINE_QUBITS, 8);
            listener.exchangeDone(1, 0, false);

            assertEquals(16, listener.lastDeltas().get(0).get(LedgerCounter.PAYLOAD_BITS));
            assertEquals(8, listener.lastDeltas().get(1).get(LedgerCounter.ONLINE_QUBITS));
        }

        final List<String> rows = Files.readAllLines(csv);
        assertEquals(1 + 2 * 3, rows.size(), "header, then two links and a total per iteration");
        assertEquals("iteration,epoch," + LedgerSnapshot.csvHeader(), rows.get(0));
        assertEquals("0,0,0->1,64,32,", rows.get(1).substring(0, "0,0,0->1,64,32,".length()));
        assertEquals("0,0,total,192,32,", rows.get(3).substring(0, "0,0,total,192,32,".length()));
        assertEquals("1,0,1->0,0,8,", rows.get(5).substring(0, "1,0,1->0,0,8,".length()));

        final List<String> lines = Files.readAllLines(jsonLines);
        assertEquals(2, lines.size(), "one object per iteration, repeats ignored");
        final JsonNode first = JSON.readTree(lines.get(0));
        assertEquals(0, first.get("iteration").asInt());
        assertEquals(192, first.get("total").get("payloadBits").asLong());
        assertEquals(2.0, first.get("links").get(0).get("goodputBitsPerQubit").asDouble(), 0.0);
        final JsonNode second = JSON.readTree(lines.get(1));
        assertEquals(16, second.get("total").get("payloadBits").asLong());
        assertEquals("1->0", second.get("links").get(1).get("link").asText());
    }

    @Test
    void shouldReportOncePerIterationWhenAttachedToTheModelAndTheAccumulator(@TempDir final Path dir) throws Exception
    {
        final LinkLedger link = new LinkLedger(LinkLedger.linkName(0, 0));
        final AtomicInteger reads = new AtomicInteger();
        final Path csv = dir.resolve("ledger.csv");
        final DataSet data = Fixtures.regression(41, 48, DataType.FLOAT);
        final QuantumRing ring = QuantumRing.builder().allReduce(ThreadedAllReduce.ring(1, Duration.ofSeconds(30)).get(0)).build();

        try (LedgerTrainingListener listener = LedgerTrainingListener.builder(() ->
            {
                reads.incrementAndGet();
                link.add(LedgerCounter.PAYLOAD_BITS, 100);
                return List.of(link.snapshot());
            })
            .csvFile(csv)
            .build())
        {
            final MultiLayerNetwork network = Fixtures.regressionMlp(DataType.FLOAT, Fixtures.sgd(), 8);
            network.setGradientsAccumulator(ring.accumulator().addExchangeListener(listener));
            network.addListeners(listener);
            Fixtures.batches(data, 16).forEach(network::fit);
        }

        assertEquals(1 + 3, reads.get(), "baseline, then one read per iteration");
        final List<String> rows = Files.readAllLines(csv);
        assertEquals(1 + 3 * 2, rows.size());
        assertEquals("2,0,0->0,100,", rows.get(5).substring(0, "2,0,0->0,100,".length()));
    }

    /**
     * The source may be a collective ({@code gatherRingLedgers}): when reading it fails, a retry of the same
     * iteration must read it again, or this rank would skip a collective the other ranks enter.
     */
    @Test
    void shouldReadTheSourceAgainWhenAReportFailedToReadIt()
    {
        final LinkLedger link = new LinkLedger(LinkLedger.linkName(0, 1));
        final AtomicInteger reads = new AtomicInteger();
        final IllegalStateException unavailable = new IllegalStateException("peer did not answer");
        final LedgerTrainingListener listener = LedgerTrainingListener.builder(() ->
        {
            if (reads.incrementAndGet() == 2)
            {
                throw unavailable;
            }
            return List.of(link.snapshot());
        }).build();
        link.add(LedgerCounter.PAYLOAD_BITS, 64);

        assertSame(unavailable, assertThrows(IllegalStateException.class, () -> listener.report(0, 0)));
        listener.report(0, 0);

        assertEquals(3, reads.get(), "baseline, failed read, retried read");
        assertEquals(64, listener.lastDeltas().get(0).get(LedgerCounter.PAYLOAD_BITS));
        listener.exchangeDone(0, 0, true);
        assertEquals(3, reads.get(), "a reported iteration is not read again");
    }

    @Test
    void shouldCloseTheCsvFileWhenTheJsonLinesFileCannotBeOpened()
    {
        final RecordingWriter csv = new RecordingWriter("csv", false, false);
        final Map<Path, RecordingWriter> files = Map.of(Path.of("ledger.csv"), csv);

        final UncheckedIOException failure = assertThrows(UncheckedIOException.class, () -> LedgerTrainingListener
            .builder(List::of)
            .csvFile(Path.of("ledger.csv"))
            .jsonLinesFile(Path.of("unwritable/ledger.jsonl"))
            .opener(opener(files))
            .build());

        assertTrue(failure.getMessage().contains("unwritable/ledger.jsonl"), failure.getMessage());
        assertTrue(csv.closed, "the CSV file opened before the failure is closed");
    }

    @Test
    void shouldCloseTheCsvFileWhenItsHeaderCannotBeWritten()
    {
        final RecordingWriter csv = new RecordingWriter("csv", true, false);
        final RecordingWriter jsonLines = new RecordingWriter("json lines", false, false);
        final Map<Path, RecordingWriter> files = Map.of(Path.of("ledger.csv"), csv, Path.of("ledger.jsonl"), jsonLines);

        assertThrows(UncheckedIOException.class, () -> LedgerTrainingListener
            .builder(List::of)
            .csvFile(Path.of("ledger.csv"))
            .jsonLinesFile(Path.of("ledger.jsonl"))
            .opener(opener(files))
            .build());

        assertTrue(csv.closed, "the CSV file is closed");
        assertFalse(jsonLines.opened && !jsonLines.closed, "the JSON-lines file is not left open");
    }

    @Test
    void shouldCloseBothFilesWhenClosingTheFirstFailsAndReportTheFirstFailure()
    {
        final RecordingWriter csv = new RecordingWriter("csv", false, true);
        final RecordingWriter jsonLines = new RecordingWriter("json lines", false, true);
        final Map<Path, RecordingWriter> files = Map.of(Path.of("ledger.csv"), csv, Path.of("ledger.jsonl"), jsonLines);
        final LedgerTrainingListener listener = LedgerTrainingListener
            .builder(List::of)
            .csvFile(Path.of("ledger.csv"))
            .jsonLinesFile(Path.of("ledger.jsonl"))
            .opener(opener(files))
            .build();

        final UncheckedIOException failure = assertThrows(UncheckedIOException.class, listener::close);

        assertTrue(csv.closed, "the CSV file is closed");
        assertTrue(jsonLines.closed, "the JSON-lines file is closed although closing the CSV file failed");
        assertSame(csv.closeFailure, failure.getCause());
        assertArrayEquals(new Throwable[] {jsonLines.closeFailure}, failure.getCause().getSuppressed());
    }

    /** Opens only the given in-memory files; any other path cannot be opened. */
    private static Function<Path, BufferedWriter> opener(final Map<Path, RecordingWriter> files)
    {
        return path ->
        {
            final RecordingWriter writer = files.get(path);
            if (writer == null)
            {
                throw new UncheckedIOException("cannot open ledger output " + path, new IOException("permission denied"));
            }
            writer.opened = true;
            return writer;
        };
    }

    /** An in-memory output that records whether it was opened and closed, and can fail to flush or close. */
    private static final class RecordingWriter extends BufferedWriter
    {
        private final String name;
        private final boolean failFlush;
        private final IOException closeFailure;
        private boolean opened;
        private boolean closed;

        RecordingWriter(final String name, final boolean failFlush, final boolean failClose)
        {
            super(new StringWriter());
            this.name = name;
            this.failFlush = failFlush;
            this.closeFailure = failClose ? new IOException(name + ": close failed") : null;
        }

        @Override
        public void flush() throws IOException
        {
            if (failFlush)
            {
                throw new IOException(name + ": no space left on device");
            }
            super.flush();
        }

        @Override
        public void close() throws IOException
        {
            closed = true;
            super.close();
            if (closeFailure != null)
            {
                throw closeFailure;
            }
        }
    }
}
