package io.qring.it.rank;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qring.allreduce.LedgerJson;
import io.qring.allreduce.Ring;
import io.qring.allreduce.RingAllReduce;
import io.qring.allreduce.aeron.EmbeddedMediaDriver;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import io.qring.channel.ledger.LedgerSnapshot;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One rank of a multi-JVM test ring. Reads its membership from the {@code QRING_*} environment and what
 * to do from {@link RankOptions} arguments, and reports on stdout as JSON lines, one event each:
 * <ul>
 * <li>{@code bound} with the endpoint it bound and its embedded driver's directory (so a launcher can
 * remove it if the rank is killed); for UDP it then reads one line from stdin: every rank's endpoint,
 * comma-separated, in rank order (the launcher's rendezvous, so ports can be {@code :0});</li>
 * <li>{@code connected}; then per all-reduce {@code started} and {@code result} (SHA-256 of the raw
 * float bits, the first values, the file holding all bits if a result directory was given) and
 * {@code ledger} (the operation's and the cumulative snapshots of this rank's two links);</li>
 * <li>{@code stop} (action, operation, sends) when it reaches its {@link RankOptions.StopPoint stop point},
 * right before it halts ({@link #EXIT_HALTED}) or freezes for the test to kill it;</li>
 * <li>{@code error} (type, message and the cause chain) on any failure, then {@code ledger};</li>
 * <li>{@code done}; it then waits for one more stdin line (the launcher's release, sent once every rank
 * is done, or end of input) before it closes its ring. Closing at once would be wrong for quantum links:
 * a neighbour may still ask this rank to repair blocks of its last frames, and a closed sender cannot.</li>
 * </ul>
 * Exit status 0 on success, {@link #EXIT_FAILURE} on failure (closing at once), {@link #EXIT_HALTED} at a
 * halting stop point. Logs go to stderr.
 */
public final class RankMain
{
    /** Exit status of a rank whose ring failed. */
    public static final int EXIT_FAILURE = 3;
    /** Exit status of a rank that halted itself at its stop point. */
    public static final int EXIT_HALTED = 4;
    /** Values of each result printed inline. */
    public static final int HEAD_VALUES = 4;

    private static final ObjectMapper JSON = LedgerJson.mapper();

    private final PrintStream out;
    private final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    private final RankOptions options;
    private final StoppingLinkWrapper stopper;
    private int rank = -1;

    private RankMain(final PrintStream out, final RankOptions options)
    {
        this.out = out;
        this.options = options;
        this.stopper = new StoppingLinkWrapper(options.stopAt(), this::reportStop);
    }

    /**
     * @param args {@link RankOptions} as {@code --name=value}.
     */
    public static void main(final String[] args)
    {
        final PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        final int status = new RankMain(out, RankOptions.parse(args)).run();
        out.flush();
        System.exit(status);
    }

    private int run()
    {
        RingAllReduce ring = null;
        try
        {
            final RingContext context = options.applyTo(RingContext.fromEnvironment());
            if (RankOptions.StopAction.NONE != options.stopAt().action())
            {
                context.linkWrapper(context.linkWrapper().then(stopper));
            }
            context.conclude();
            rank = context.rank();
            ring = connect(context);
            emit(event("connected"));
            for (int operation = 0; operation < options.operations(); operation++)
            {
                final float[] data = RankData.input(options.seed(), rank, operation, options.length());
                emit(event("started").put("operation", operation));
                stopper.operationStarted(operation);
                ring.allReduce(data, options.op());
                stopper.operationFinished(operation);
                reportResult(operation, data);
                emit(ledger(ring, operation));
            }
            emit(event("done"));
            in.readLine();
            return 0;
        }
        catch (final RuntimeException | IOException ex)
        {
            emit(error(ex));
            if (null != ring)
            {
                emit(ledger(ring, -1));
            }
            return EXIT_FAILURE;
        }
        finally
        {
            if (null != ring)
            {
                ring.close();
            }
        }
    }

    private RingAllReduce connect(final RingContext context) throws IOException
    {
        try (Ring.BoundRank bound = Ring.bind(context))
        {
            List<String> peers = context.peers();
            emit(event("bound").put("endpoint", bound.localEndpoint())
                .put("aeronDirectory", EmbeddedMediaDriver.runningDirectory()));
            if (TransportKind.UDP == context.transport())
            {
                final String line = in.readLine();
                if (null == line)
                {
                    throw new IllegalStateException("rank " + rank + ": the launcher closed stdin before sending the peers");
                }
                peers = Arrays.asList(line.trim().split(","));
            }
            return bound.connect(peers);
        }
    }

    private void reportResult(final int operation, final float[] data) throws IOException
    {
        final byte[] raw = RankData.rawBits(data);
        final ObjectNode result = event("result")
            .put("operation", operation)
            .put("length", data.length)
            .put("sha256", RankData.sha256(raw));
        final ArrayNode head = result.putArray("head");
        for (int i = 0; i < Math.min(HEAD_VALUES, data.length); i++)
        {
            head.add(data[i]);
        }
        if (!options.resultDirectory().isEmpty())
        {
            final Path file = RankData.resultFile(Path.of(options.resultDirectory()), rank, operation);
            Files.write(file, raw);
            result.put("file", file.toString());
        }
        emit(result);
    }

    private void reportStop()
    {
        final RankOptions.StopPoint stopAt = options.stopAt();
        emit(event("stop").put("action", stopAt.action().name()).put("operation", stopAt.operation()).put("sends", stopAt.sends()));
    }

    private ObjectNode ledger(final RingAllReduce ring, final int operation)
    {
        final ObjectNode ledger = event("ledger").put("operation", operation);
        ledger.set("lastOperation", JSON.valueToTree(ring.lastOperationLedgers()));
        ledger.set("cumulative", JSON.valueToTree(new ArrayList<LedgerSnapshot>(ring.linkLedgers())));
        return ledger;
    }

    private ObjectNode error(final Throwable failure)
    {
        final ObjectNode error = event("error")
            .put("type", failure.getClass().getName())
            .put("message", String.valueOf(failure.getMessage()));
        final ArrayNode causes = error.putArray("causes");
        for (Throwable cause = failure.getCause(); null != cause && causes.size() < 16; cause = cause.getCause())
        {
            causes.add(cause.getClass().getName() + ": " + cause.getMessage());
        }
        return error;
    }

    private ObjectNode event(final String name)
    {
        return JSON.createObjectNode().put("event", name).put("rank", rank);
    }

    private void emit(final ObjectNode event)
    {
        out.println(event.toString());
        out.flush();
    }
}
