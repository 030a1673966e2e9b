package io.qring.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Smoke run of the DL4J comparison on a tiny slice of MNIST: one well-formed JSON line with every figure. */
class Dl4jComparisonTest
{
    private static final int TRAIN = 800;
    private static final int TEST = 200;
    private static final int EPOCHS = 1;

    @Test
    void shouldPrintOneJsonLineWithEveryRunOnTinyMnist() throws Exception
    {
        final String line = Dl4jComparison.compare("--max-epochs=" + EPOCHS, "--max-train=" + TRAIN, "--max-test=" + TEST,
            "--timeout=60").toString();
        assertFalse(line.contains("\n"), "one line");
        final JsonNode report = new ObjectMapper().readTree(line);

        assertEquals("dl4j", report.path("benchmark").asText());
        assertEquals(TRAIN, report.path("trainExamples").asInt());
        assertEquals(TEST, report.path("testExamples").asInt());
        assertEquals(Dl4jComparison.SYNC_LEARNING_RATE / Dl4jComparison.WORKERS, report.path("sharedGradientsLearningRate").asDouble());
        assertEquals(1.10, report.path("targets").path("quantumOverClassicalEpochTimeMax").asDouble());
        for (final String run : List.of("dl4jSharedGradients", "ringClassical", "ringQuantum", "sparseQuantum"))
        {
            final JsonNode figures = report.path("runs").path(run);
            assertEquals(EPOCHS, figures.path("epochSeconds").size(), run);
            assertEquals(EPOCHS, figures.path("testAccuracy").size(), run);
            assertTrue(figures.path("epochSecondsMedian").asDouble() > 0, run);
            final double accuracy = figures.path("finalTestAccuracy").asDouble();
            assertTrue(accuracy >= 0 && accuracy <= 1, run + " accuracy " + accuracy);
            assertTrue(figures.has("secondsToTarget"), run + " has its time to the target, null or not");
            assertEquals(figures.path("secondsToTarget").isNull(), accuracy < report.path("targetAccuracy").asDouble(), run);
        }
        assertTrue(report.path("runs").path("ringClassical").path("ranksAgree").asBoolean());
        assertTrue(report.path("runs").path("ringQuantum").path("ranksAgree").asBoolean());
        assertTrue(report.path("runs").path("ringQuantum").path("sameParametersAsClassical").asBoolean(),
            "noiseless quantum links carry the same bits as classical ones");
        final JsonNode runs = report.path("runs");
        assertEquals(runs.path("ringQuantum").path("epochSecondsMedian").asDouble() /
            runs.path("ringClassical").path("epochSecondsMedian").asDouble(),
            report.path("ratios").path("quantumOverClassicalEpochTime").asDouble(), 2e-3, "ratio of the rounded medians");
        assertTrue(report.path("ratios").has("quantumOverDl4jTimeToTarget"));
    }
}
