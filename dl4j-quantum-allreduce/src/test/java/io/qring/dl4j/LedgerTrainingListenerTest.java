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

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
