package io.qring.it.rank;

import io.qring.allreduce.ReduceOp;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.quantum.AlarmPolicy;
import io.qring.allreduce.quantum.QuantumLinkSettings;
import io.qring.channel.noise.PauliChannel;
import io.qring.channel.verify.InterceptResendEavesdropper;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * What one child rank of a multi-JVM test does, beyond the ring membership it reads from the
 * {@code QRING_*} environment: which links, which inputs, how many all-reduces, which timeouts, and where
 * (for fault tests) it stops itself mid-ring.
 * Passed as {@code --name=value} arguments ({@link #toArgs()} and {@link #parse(String[])} are inverse),
 * so the test and the child share one definition. Immutable; the {@code withXxx} methods return copies.
 *
 * @param link                 classical or quantum links.
 * @param depolarizing         depolarizing probability of the online quantum channel, 0 for noiseless.
 * @param eavesdropperFrom     sending rank of the link an intercept-resend eavesdropper sits on, or -1.
 * @param alarmPolicy          what a quantum link does on a verification alarm.
 * @param length               elements of each all-reduce.
 * @param operations           consecutive all-reduces K.
 * @param op                   sum or average.
 * @param seed                 seed of the inputs and of the quantum links.
 * @param chunkLength          ring chunk, bytes.
 * @param termLength           Aeron term length, bytes.
 * @param connectTimeoutMs     how long the neighbours may take to authenticate.
 * @param operationTimeoutMs   longest wait for one message of a collective.
 * @param livenessTimeoutMs    embedded driver liveness timeout.
 * @param resultDirectory      directory the raw bits of every result are written to, or empty for none.
 * @param stopAt               where this rank stops itself mid-ring, or {@link StopPoint#NONE}.
 */
public record RankOptions(
    LinkKind link,
    double depolarizing,
    int eavesdropperFrom,
    AlarmPolicy alarmPolicy,
    int length,
    int operations,
    ReduceOp op,
    long seed,
    int chunkLength,
    int termLength,
    long connectTimeoutMs,
    long operationTimeoutMs,
    long livenessTimeoutMs,
    String resultDirectory,
    StopPoint stopAt)
{
    /** Which links the ring uses. */
    public enum LinkKind
    {
        /** The authenticated classical link alone. */
        CLASSICAL,
        /** The quantum link (superdense coding over EPR pools) wrapping the classical one. */
        QUANTUM
    }

    /** What a rank does at its {@link StopPoint}. */
    public enum StopAction
    {
        /** Nothing: the rank has no stop point. */
        NONE,
        /**
         * Halts its JVM ({@link Runtime#halt(int)} with {@link RankMain#EXIT_HALTED}): no shutdown hooks, no
         * closing of links or driver, so its neighbours see what a kill shows them.
         */
        HALT,
        /**
         * Parks the ring's thread for good, leaving the JVM (and its embedded driver) running, so that the
         * test can kill the process (SIGKILL) at a known point of the all-reduce.
         */
        FREEZE
    }

    /**
     * Where a rank stops itself, for fault tests: once the ring engine has handed over {@code sends} messages
     * of all-reduce {@code operation} to the link to the next rank (the ring agreement's descriptors, then the
     * chunks, as {@code io.qring.allreduce.link.Link#send} returns them), the rank reports a {@code stop} event
     * and does {@code action}. Written {@code none} or {@code action:operation:sends}, e.g. {@code halt:1:24}.
     *
     * @param action    what the rank does there.
     * @param operation index of the all-reduce, from 0; -1 for {@link StopAction#NONE}.
     * @param sends     messages of that all-reduce handed over before stopping, at least 1; 0 for {@link StopAction#NONE}.
     */
    public record StopPoint(StopAction action, int operation, int sends)
    {
        /** No stop point. */
        public static final StopPoint NONE = new StopPoint(StopAction.NONE, -1, 0);

        /**
         * @param action    what the rank does there.
         * @param operation index of the all-reduce, from 0.
         * @param sends     messages of it handed over before stopping, at least 1.
         */
        public StopPoint
        {
            final boolean none = StopAction.NONE == action;
            if (null == action || (none ? operation != -1 || sends != 0 : operation < 0 || sends < 1))
            {
                throw new IllegalArgumentException("a stop point needs an operation >= 0 and sends >= 1, or none; got " +
                    action + " at operation " + operation + " after " + sends + " sends");
            }
        }

        /**
         * @param text {@code none} or {@code action:operation:sends}, as {@link #text()} writes it.
         * @return the stop point.
         */
        public static StopPoint parse(final String text)
        {
            if (NONE.text().equals(text))
            {
                return NONE;
            }
            final String[] parts = text.split(":");
            if (3 != parts.length)
            {
                throw new IllegalArgumentException("expected none or action:operation:sends, got " + text);
            }
            return new StopPoint(StopAction.valueOf(parts[0].toUpperCase(Locale.ROOT)), Integer.parseInt(parts[1]),
                Integer.parseInt(parts[2]));
        }

        /** @return {@code none} or {@code action:operation:sends}. */
        public String text()
        {
            return StopAction.NONE == action ? "none" :
                action.name().toLowerCase(Locale.ROOT) + ":" + operation + ":" + sends;
        }
    }

    /**
     * Defaults: classical, noiseless, 3 sums of 100,003 floats, 64 KiB chunks, 1 MiB terms, short timeouts, no stop point.
     *
     * @return the default options.
     */
    public static RankOptions defaults()
    {
        return new RankOptions(LinkKind.CLASSICAL, 0.0, -1, AlarmPolicy.ABORT, 100_003, 3, ReduceOp.SUM, 11,
            64 * 1024, 1024 * 1024, 20_000, 5_000, 2_000, "", StopPoint.NONE);
    }

    /**
     * @param args {@code --name=value} arguments as written by {@link #toArgs()}; unknown names are errors.
     * @return the options, defaults where not given.
     */
    public static RankOptions parse(final String[] args)
    {
        RankOptions options = defaults();
        for (final String arg : args)
        {
            final int equals = arg.indexOf('=');
            if (!arg.startsWith("--") || equals < 0)
            {
                throw new IllegalArgumentException("expected --name=value, got " + arg);
            }
            final String name = arg.substring(2, equals);
            final String value = arg.substring(equals + 1);
            options = switch (name)
            {
                case "link" -> options.withLink(LinkKind.valueOf(value.toUpperCase(Locale.ROOT)));
                case "depolarizing" -> options.withDepolarizing(Double.parseDouble(value));
                case "eavesdropperFrom" -> options.withEavesdropperFrom(Integer.parseInt(value));
                case "alarmPolicy" -> options.withAlarmPolicy(AlarmPolicy.valueOf(value));
                case "length" -> options.withLength(Integer.parseInt(value));
                case "operations" -> options.withOperations(Integer.parseInt(value));
                case "op" -> options.withOp(ReduceOp.valueOf(value));
                case "seed" -> options.withSeed(Long.parseLong(value));
                case "chunkLength" -> options.withChunkLength(Integer.parseInt(value));
                case "termLength" -> options.withTermLength(Integer.parseInt(value));
                case "connectTimeoutMs" -> options.withConnectTimeoutMs(Long.parseLong(value));
                case "operationTimeoutMs" -> options.withOperationTimeoutMs(Long.parseLong(value));
                case "livenessTimeoutMs" -> options.withLivenessTimeoutMs(Long.parseLong(value));
                case "resultDirectory" -> options.withResultDirectory(value);
                case "stopAt" -> options.withStopAt(StopPoint.parse(value));
                default -> throw new IllegalArgumentException("unknown option --" + name);
            };
        }
        return options;
    }

    /** @return these options as {@code --name=value} arguments. */
    public List<String> toArgs()
    {
        final List<String> args = new ArrayList<>();
        args.add("--link=" + link.name());
        args.add("--depolarizing=" + depolarizing);
        args.add("--eavesdropperFrom=" + eavesdropperFrom);
        args.add("--alarmPolicy=" + alarmPolicy.name());
        args.add("--length=" + length);
        args.add("--operations=" + operations);
        args.add("--op=" + op.name());
        args.add("--seed=" + seed);
        args.add("--chunkLength=" + chunkLength);
        args.add("--termLength=" + termLength);
        args.add("--connectTimeoutMs=" + connectTimeoutMs);
        args.add("--operationTimeoutMs=" + operationTimeoutMs);
        args.add("--livenessTimeoutMs=" + livenessTimeoutMs);
        args.add("--resultDirectory=" + resultDirectory);
        args.add("--stopAt=" + stopAt.text());
        return args;
    }

    /**
     * Applies the ring settings these options hold (chunk, term, timeouts, link wrapper).
     *
     * @param context a context filled from the environment.
     * @return the same context.
     */
    public RingContext applyTo(final RingContext context)
    {
        context.chunkLength(chunkLength)
            .termLength(termLength)
            .connectTimeoutNs(TimeUnit.MILLISECONDS.toNanos(connectTimeoutMs))
            .operationTimeoutNs(TimeUnit.MILLISECONDS.toNanos(operationTimeoutMs))
            .driverLivenessTimeoutNs(TimeUnit.MILLISECONDS.toNanos(livenessTimeoutMs));
        if (LinkKind.QUANTUM == link)
        {
            context.linkWrapper(quantumSettings(context.worldSize()).wrapper());
        }
        return context;
    }

    /**
     * The quantum link settings every rank builds identically from these options.
     *
     * @param worldSize ranks of the ring (the eavesdropper sits on link {@code from -> from + 1}).
     * @return the settings.
     */
    public QuantumLinkSettings quantumSettings(final int worldSize)
    {
        final QuantumLinkSettings.Builder builder = QuantumLinkSettings.builder().seed(seed).alarmPolicy(alarmPolicy);
        if (depolarizing > 0.0)
        {
            builder.onlineChannel(PauliChannel.depolarizing(depolarizing));
        }
        if (eavesdropperFrom >= 0)
        {
            builder.eavesdropper(eavesdropperFrom, (eavesdropperFrom + 1) % worldSize, InterceptResendEavesdropper.everyPair());
        }
        return builder.build();
    }

    /**
     * @param link classical or quantum.
     * @return a copy with it.
     */
    public RankOptions withLink(final LinkKind link)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory, stopAt);
    }

    /**
     * @param depolarizing online depolarizing probability, 0 for none.
     * @return a copy with it.
     */
    public RankOptions withDepolarizing(final double depolarizing)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory, stopAt);
    }

    /**
     * @param eavesdropperFrom sending rank of the eavesdropped link, or -1.
     * @return a copy with it.
     */
    public RankOptions withEavesdropperFrom(final int eavesdropperFrom)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory, stopAt);
    }

    /**
     * @param alarmPolicy what a quantum link does on alarm.
     * @return a copy with it.
     */
    public RankOptions withAlarmPolicy(final AlarmPolicy alarmPolicy)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory, stopAt);
    }

    /**
     * @param length elements per all-reduce.
     * @return a copy with it.
     */
    public RankOptions withLength(final int length)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory, stopAt);
    }

    /**
     * @param operations consecutive all-reduces.
     * @return a copy with it.
     */
    public RankOptions withOperations(final int operations)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory, stopAt);
    }

    /**
     * @param op sum or average.
     * @return a copy with it.
     */
    public RankOptions withOp(final ReduceOp op)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory, stopAt);
    }

    /**
     * @param seed seed of inputs and quantum links.
     * @return a copy with it.
     */
    public RankOptions withSeed(final long seed)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory, stopAt);
    }

    /**
     * @param chunkLength ring chunk, bytes.
     * @return a copy with it.
     */
    public RankOptions withChunkLength(final int chunkLength)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory, stopAt);
    }

    /**
     * @param termLength Aeron term length, bytes.
     * @return a copy with it.
     */
    public RankOptions withTermLength(final int termLength)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory, stopAt);
    }

    /**
     * @param connectTimeoutMs connect timeout.
     * @return a copy with it.
     */
    public RankOptions withConnectTimeoutMs(final long connectTimeoutMs)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory, stopAt);
    }

    /**
     * @param operationTimeoutMs operation timeout.
     * @return a copy with it.
     */
    public RankOptions withOperationTimeoutMs(final long operationTimeoutMs)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory, stopAt);
    }

    /**
     * @param livenessTimeoutMs driver liveness timeout.
     * @return a copy with it.
     */
    public RankOptions withLivenessTimeoutMs(final long livenessTimeoutMs)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory, stopAt);
    }

    /**
     * @param resultDirectory where result bits are written, or empty for nowhere.
     * @return a copy with it.
     */
    public RankOptions withResultDirectory(final String resultDirectory)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory, stopAt);
    }

    /**
     * @param stopAt where this rank stops itself, or {@link StopPoint#NONE}.
     * @return a copy with it.
     */
    public RankOptions withStopAt(final StopPoint stopAt)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory, stopAt);
    }
}
