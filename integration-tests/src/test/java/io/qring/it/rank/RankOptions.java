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
 * {@code QRING_*} environment: which links, which inputs, how many all-reduces, which timeouts.
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
    String resultDirectory)
{
    /** Which links the ring uses. */
    public enum LinkKind
    {
        /** The authenticated classical link alone. */
        CLASSICAL,
        /** The quantum link (superdense coding over EPR pools) wrapping the classical one. */
        QUANTUM
    }

    /**
     * Defaults: classical, noiseless, 3 sums of 100,003 floats, 64 KiB chunks, 1 MiB terms, short timeouts.
     *
     * @return the default options.
     */
    public static RankOptions defaults()
    {
        return new RankOptions(LinkKind.CLASSICAL, 0.0, -1, AlarmPolicy.ABORT, 100_003, 3, ReduceOp.SUM, 11,
            64 * 1024, 1024 * 1024, 20_000, 5_000, 2_000, "");
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
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory);
    }

    /**
     * @param depolarizing online depolarizing probability, 0 for none.
     * @return a copy with it.
     */
    public RankOptions withDepolarizing(final double depolarizing)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory);
    }

    /**
     * @param eavesdropperFrom sending rank of the eavesdropped link, or -1.
     * @return a copy with it.
     */
    public RankOptions withEavesdropperFrom(final int eavesdropperFrom)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory);
    }

    /**
     * @param alarmPolicy what a quantum link does on alarm.
     * @return a copy with it.
     */
    public RankOptions withAlarmPolicy(final AlarmPolicy alarmPolicy)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory);
    }

    /**
     * @param length elements per all-reduce.
     * @return a copy with it.
     */
    public RankOptions withLength(final int length)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory);
    }

    /**
     * @param operations consecutive all-reduces.
     * @return a copy with it.
     */
    public RankOptions withOperations(final int operations)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory);
    }

    /**
     * @param op sum or average.
     * @return a copy with it.
     */
    public RankOptions withOp(final ReduceOp op)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory);
    }

    /**
     * @param seed seed of inputs and quantum links.
     * @return a copy with it.
     */
    public RankOptions withSeed(final long seed)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory);
    }

    /**
     * @param chunkLength ring chunk, bytes.
     * @return a copy with it.
     */
    public RankOptions withChunkLength(final int chunkLength)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory);
    }

    /**
     * @param termLength Aeron term length, bytes.
     * @return a copy with it.
     */
    public RankOptions withTermLength(final int termLength)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory);
    }

    /**
     * @param connectTimeoutMs connect timeout.
     * @return a copy with it.
     */
    public RankOptions withConnectTimeoutMs(final long connectTimeoutMs)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory);
    }

    /**
     * @param operationTimeoutMs operation timeout.
     * @return a copy with it.
     */
    public RankOptions withOperationTimeoutMs(final long operationTimeoutMs)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory);
    }

    /**
     * @param livenessTimeoutMs driver liveness timeout.
     * @return a copy with it.
     */
    public RankOptions withLivenessTimeoutMs(final long livenessTimeoutMs)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory);
    }

    /**
     * @param resultDirectory where result bits are written, or empty for nowhere.
     * @return a copy with it.
     */
    public RankOptions withResultDirectory(final String resultDirectory)
    {
        return new RankOptions(link, depolarizing, eavesdropperFrom, alarmPolicy, length, operations, op, seed, chunkLength,
            termLength, connectTimeoutMs, operationTimeoutMs, livenessTimeoutMs, resultDirectory);
    }
}
