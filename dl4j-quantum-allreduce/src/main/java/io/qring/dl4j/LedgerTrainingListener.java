package io.qring.dl4j;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qring.allreduce.LedgerJson;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerDeltas;
import io.qring.channel.ledger.LedgerSnapshot;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Reports, every iteration, what crossed each link of the ring during that iteration: the difference of
 * the ledger snapshots taken after this iteration and after the previous one (the first difference is
 * against the snapshots taken when the listener was built). Logs one SLF4J line per iteration with the
 * ring totals (each link at DEBUG) and optionally appends the same figures as CSV rows (one per link
 * plus a {@value #TOTAL_LINK} row) and as JSON lines (one object per iteration).
 *
 * <p>Attach it to the model ({@code model.addListeners}) or, inside {@code ParallelWrapper}, to the
 * accumulator ({@link QuantumRingGradientsAccumulator#addExchangeListener}); an iteration already reported
 * (same iteration and epoch as the last report) is not reported again, so several workers or both routes
 * may share one instance. Close it after training to flush and close its files.
 */
public final class LedgerTrainingListener extends BaseTrainingListener implements ExchangeListener, AutoCloseable
{
    /** Name of the merged row/object holding the sum over all links. */
    public static final String TOTAL_LINK = "total";

    private static final Logger LOG = LoggerFactory.getLogger(LedgerTrainingListener.class);
    private static final ObjectMapper JSON = LedgerJson.mapper();

    private final Supplier<List<LedgerSnapshot>> source;
    private final BufferedWriter csv;
    private final BufferedWriter jsonLines;
    private final LedgerDeltas deltas = new LedgerDeltas();
    private List<LedgerSnapshot> lastDeltas = List.of();
    private long lastReported = Long.MIN_VALUE;

    private LedgerTrainingListener(final Builder builder)
    {
        this.source = builder.source;
        deltas.next(source.get());
        final BufferedWriter csvWriter = open(builder.opener, builder.csvFile);
        final BufferedWriter jsonWriter;
        try
        {
            if (csvWriter != null)
            {
                writeLine(csvWriter, "iteration,epoch," + LedgerSnapshot.csvHeader());
            }
            jsonWriter = open(builder.opener, builder.jsonLinesFile);
        }
        catch (final RuntimeException ex)
        {
            try
            {
                closeAll(csvWriter);
            }
            catch (final UncheckedIOException closeEx)
            {
                ex.addSuppressed(closeEx);
            }
            throw ex;
        }
        this.csv = csvWriter;
        this.jsonLines = jsonWriter;
    }

    /**
     * @param source the current cumulative snapshots of every link this rank can see, e.g.
     *               {@code ring::linkLedgers} for this rank's two link ends
     *               ({@link io.qring.allreduce.RingAllReduce#linkLedgers()}; the two ends of a quantum link are
     *               merged by name across whatever the source returns), or
     *               {@code () -> ring.gatherRingLedgers().cumulative()} for every link of the ring
     *               ({@link io.qring.allreduce.RingAllReduce#gatherRingLedgers()}, a collective: every rank
     *               must report the same iterations); called once at build time and once per reported
     *               iteration.
     * @return a builder; without files the listener only logs.
     */
    public static Builder builder(final Supplier<List<LedgerSnapshot>> source)
    {
        return new Builder(source);
    }

    /**
     * Reports the iteration (see {@link #report(int, int)}).
     *
     * @param model     the model (unused).
     * @param iteration the iteration just completed.
     * @param epoch     its epoch.
     */
    @Override
    public void iterationDone(final Model model, final int iteration, final int epoch)
    {
        report(iteration, epoch);
    }

    /**
     * Reports the iteration (see {@link #report(int, int)}).
     *
     * @param iteration the iteration just exchanged.
     * @param epoch     its epoch.
     * @param applied   unused: a skipped iteration still moved bits.
     */
    @Override
    public void exchangeDone(final int iteration, final int epoch, final boolean applied)
    {
        report(iteration, epoch);
    }

    /**
     * Takes the per-link differences since the last report, logs them and writes them to the configured
     * files, unless this iteration was the last one reported. An iteration counts as reported once its
     * snapshots were read: when the source throws, a later call for the same iteration reads it again.
     *
     * @param iteration the iteration just completed.
     * @param epoch     its epoch.
     * @throws IllegalArgumentException if a link's counts went down since the last report: the source must
     *                                  give cumulative counts of one ring ({@link LedgerDeltas#next}).
     */
    public synchronized void report(final int iteration, final int epoch)
    {
        final long key = ((long)epoch << 32) | (iteration & 0xFFFF_FFFFL);
        if (key == lastReported)
        {
            return;
        }
        final List<LedgerSnapshot> iterationDeltas = deltas.next(source.get());
        lastReported = key;
        final LedgerSnapshot total = LedgerSnapshot.merge(TOTAL_LINK, iterationDeltas);
        lastDeltas = List.copyOf(iterationDeltas);
        log(iteration, epoch, iterationDeltas, total);
        if (csv != null)
        {
            for (final LedgerSnapshot delta : iterationDeltas)
            {
                writeLine(csv, iteration + "," + epoch + "," + delta.toCsvRow());
            }
            writeLine(csv, iteration + "," + epoch + "," + total.toCsvRow());
        }
        if (jsonLines != null)
        {
            writeLine(jsonLines, toJson(iteration, epoch, iterationDeltas, total));
        }
    }

    /** @return the per-link differences of the last completed iteration (empty before the first). */
    public synchronized List<LedgerSnapshot> lastDeltas()
    {
        return lastDeltas;
    }

    /**
     * Flushes and closes the CSV and JSON-lines files, both even when closing the first fails.
     *
     * @throws UncheckedIOException for the first file that failed to close, any later failure suppressed.
     */
    @Override
    public synchronized void close()
    {
        closeAll(csv, jsonLines);
    }

    private void log(final int iteration, final int epoch, final List<LedgerSnapshot> deltas, final LedgerSnapshot total)
    {
        if (!LOG.isInfoEnabled())
        {
            return;
        }
        LOG.info("iteration {} epoch {}: {} links, payload bits {}, online qubits {}, online classical bits {}, " +
            "EPR pairs consumed {}, sacrificed {}, retransmitted qubits {}, classical-equivalent bits {}, " +
            "fallback classical bits {}, goodput {} bits/qubit",
            iteration, epoch, deltas.size(),
            total.get(LedgerCounter.PAYLOAD_BITS), total.get(LedgerCounter.ONLINE_QUBITS),
            total.get(LedgerCounter.ONLINE_CLASSICAL_BITS), total.get(LedgerCounter.EPR_CONSUMED),
            total.get(LedgerCounter.EPR_SACRIFICED), total.get(LedgerCounter.RETRANSMITTED_QUBITS),
            total.get(LedgerCounter.CLASSICAL_EQUIVALENT_BITS), total.get(LedgerCounter.FALLBACK_CLASSICAL_BITS),
            total.goodputBitsPerQubit());
        if (LOG.isDebugEnabled())
        {
            for (final LedgerSnapshot delta : deltas)
            {
                LOG.debug("iteration {} epoch {} link {}", iteration, epoch, LedgerJson.toJson(delta));
            }
        }
    }

    private static String toJson(
        final int iteration,
        final int epoch,
        final List<LedgerSnapshot> deltas,
        final LedgerSnapshot total)
    {
        final ObjectNode line = JSON.createObjectNode();
        line.put("iteration", iteration);
        line.put("epoch", epoch);
        final ArrayNode links = line.putArray("links");
        for (final LedgerSnapshot delta : deltas)
        {
            links.add(JSON.valueToTree(delta));
        }
        line.set(TOTAL_LINK, JSON.valueToTree(total));
        return line.toString();
    }

    private static BufferedWriter open(final Function<Path, BufferedWriter> opener, final Path file)
    {
        return file == null ? null : opener.apply(file);
    }

    private static BufferedWriter openFile(final Path file)
    {
        try
        {
            final Path parent = file.toAbsolutePath().getParent();
            if (parent != null)
            {
                Files.createDirectories(parent);
            }
            return Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot open ledger output " + file, ex);
        }
    }

    private static void writeLine(final BufferedWriter writer, final String line)
    {
        try
        {
            writer.write(line);
            writer.newLine();
            writer.flush();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write ledger output", ex);
        }
    }

    private static void closeAll(final BufferedWriter... writers)
    {
        IOException failure = null;
        for (final BufferedWriter writer : writers)
        {
            if (writer == null)
            {
                continue;
            }
            try
            {
                writer.close();
            }
            catch (final IOException ex)
            {
                if (failure == null)
                {
                    failure = ex;
                }
                else
                {
                    failure.addSuppressed(ex);
                }
            }
        }
        if (failure != null)
        {
            throw new UncheckedIOException("cannot close ledger output", failure);
        }
    }

    /** Settings of a {@link LedgerTrainingListener}. */
    public static final class Builder
    {
        private final Supplier<List<LedgerSnapshot>> source;
        private Path csvFile;
        private Path jsonLinesFile;
        private Function<Path, BufferedWriter> opener = LedgerTrainingListener::openFile;

        private Builder(final Supplier<List<LedgerSnapshot>> source)
        {
            this.source = Objects.requireNonNull(source, "ledger snapshot source");
        }

        /**
         * @param file CSV file to (over)write: a header, then per iteration one row per link and a total row.
         * @return this builder.
         */
        public Builder csvFile(final Path file)
        {
            this.csvFile = file;
            return this;
        }

        /**
         * @param file file to (over)write with one JSON object per iteration
         *             ({@code {"iteration","epoch","links":[...],"total":{...}}}).
         * @return this builder.
         */
        public Builder jsonLinesFile(final Path file)
        {
            this.jsonLinesFile = file;
            return this;
        }

        /**
         * Replaces how output files are opened, so that tests can observe how writers are closed.
         *
         * @param opener opens a file for writing, throwing {@link UncheckedIOException} when it cannot.
         * @return this builder.
         */
        Builder opener(final Function<Path, BufferedWriter> opener)
        {
            this.opener = Objects.requireNonNull(opener, "opener");
            return this;
        }

        /**
         * @return the listener, with its baseline snapshots taken now and its files opened.
         * @throws UncheckedIOException when a file cannot be opened or the CSV header cannot be written;
         *                              whatever was already opened is closed.
         */
        public LedgerTrainingListener build()
        {
            return new LedgerTrainingListener(this);
        }
    }
}
