package io.qring.samples.cli;

import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Options saying where the ranks run and how long they may take: shared by every subcommand. */
public final class RingOptions
{
    /** Ranks when {@code --ranks} is not given. */
    public static final int DEFAULT_RANKS = 4;
    /** Shortest timeout the options take, seconds. */
    public static final double MIN_TIMEOUT_SECONDS = 1e-3;
    /**
     * Longest timeout the options take, seconds (about 11.6 days): the launchers add timeouts and double
     * the operation timeout for the training exchange, which must stay far inside 2^63 ns.
     */
    public static final double MAX_TIMEOUT_SECONDS = 1e6;

    @Option(names = "--ranks", paramLabel = "N",
        description = "Ranks in the ring, at least 2 (default: " + DEFAULT_RANKS + "; with --peers: the number of peers).")
    private Integer ranks;

    @Option(names = "--launch", paramLabel = "HOW", defaultValue = "threads",
        description = "threads: every rank is a thread of this JVM (default: starts fast, shares the data); " +
            "processes: every rank is a child JVM (OMP_NUM_THREADS=1) talking UDP over loopback.")
    private Launch launch;

    @Option(names = "--transport", paramLabel = "KIND",
        description = "ipc (Aeron IPC, one shared embedded driver) or udp (Aeron UDP); default: ipc for threads, " +
            "udp for processes and hosts.")
    private TransportKind transport;

    @Option(names = "--rank", paramLabel = "R",
        description = "Run only rank R of a ring spread over hosts (needs --peers, or " + RingContext.RANK_ENV + " and " +
            RingContext.PEERS_ENV + ", and the same " + RingContext.SECRET_ENV + " on every host).")
    private Integer rank;

    @Option(names = "--peers", paramLabel = "HOST:PORT", split = ",",
        description = "Every rank's UDP endpoint in rank order, e.g. 10.0.0.1:40100,10.0.0.2:40100 (with --rank).")
    private List<String> peers;

    @Option(names = "--connect-timeout", paramLabel = "SECONDS", defaultValue = "30",
        description = "How long ranks may take to find and authenticate their neighbours (default: ${DEFAULT-VALUE}).")
    private double connectTimeoutSeconds;

    @Option(names = "--operation-timeout", paramLabel = "SECONDS", defaultValue = "120",
        description = "Longest wait for one message of an exchange, e.g. while rank 0 evaluates (default: ${DEFAULT-VALUE}).")
    private double operationTimeoutSeconds;

    @Option(names = "--child-rank", hidden = true, description = "Internal: run as this rank of a --launch processes parent.")
    private Integer childRank;

    /**
     * Resolves where the ranks run, checking the combination of options and environment.
     *
     * @param spec        the command, for error messages.
     * @param environment the process environment ({@code QRING_*} variables).
     * @return the placement.
     * @throws ParameterException with a one-line message when the options do not fit together.
     */
    public Placement placement(final CommandSpec spec, final Map<String, String> environment)
    {
        if (null != childRank)
        {
            final int worldSize = null == ranks ? DEFAULT_RANKS : ranks;
            return new Placement(Placement.Kind.CHILD, worldSize, childRank, List.of(), environmentContext(spec, environment)
                .sharedSecret(), TransportKind.UDP);
        }
        if (null != rank || environment.containsKey(RingContext.RANK_ENV))
        {
            return multiHost(spec, environment);
        }
        final int worldSize = null == ranks ? DEFAULT_RANKS : ranks;
        if (worldSize < 2)
        {
            throw new ParameterException(spec.commandLine(), "--ranks must be at least 2 (a ring needs two ranks), got " + worldSize);
        }
        if (null != peers)
        {
            throw new ParameterException(spec.commandLine(), "--peers runs one rank of a ring across hosts and needs --rank");
        }
        if (Launch.PROCESSES == launch)
        {
            if (null != transport && TransportKind.UDP != transport)
            {
                throw new ParameterException(spec.commandLine(), "--launch processes talks UDP between the rank JVMs; " +
                    "--transport " + transport.name().toLowerCase(Locale.ROOT) + " only works with --launch threads");
            }
            return new Placement(Placement.Kind.PROCESSES, worldSize, -1, List.of(), null, TransportKind.UDP);
        }
        return new Placement(Placement.Kind.THREADS, worldSize, -1, List.of(), null, null == transport ? TransportKind.IPC : transport);
    }

    /** @return how long ranks may take to connect. */
    public Duration connectTimeout()
    {
        return seconds(connectTimeoutSeconds);
    }

    /** @return longest wait for one message. */
    public Duration operationTimeout()
    {
        return seconds(operationTimeoutSeconds);
    }

    /**
     * @param spec the command, for error messages.
     * @throws ParameterException if a timeout lies outside [{@value #MIN_TIMEOUT_SECONDS}, {@value #MAX_TIMEOUT_SECONDS}] seconds.
     */
    public void validateTimeouts(final CommandSpec spec)
    {
        if (!inTimeoutRange(connectTimeoutSeconds) || !inTimeoutRange(operationTimeoutSeconds))
        {
            throw new ParameterException(spec.commandLine(), "--connect-timeout and --operation-timeout must lie in [" +
                MIN_TIMEOUT_SECONDS + ", " + MAX_TIMEOUT_SECONDS + "] seconds, got " + connectTimeoutSeconds + " and " +
                operationTimeoutSeconds);
        }
    }

    private static boolean inTimeoutRange(final double seconds)
    {
        return seconds >= MIN_TIMEOUT_SECONDS && seconds <= MAX_TIMEOUT_SECONDS;
    }

    private Placement multiHost(final CommandSpec spec, final Map<String, String> environment)
    {
        if (Launch.PROCESSES == launch)
        {
            throw new ParameterException(spec.commandLine(), (null != rank ? "--rank" : RingContext.RANK_ENV) +
                " runs one rank of a ring across hosts; drop --launch processes (or unset " + RingContext.RANK_ENV + ")");
        }
        final RingContext fromEnvironment = environmentContext(spec, environment);
        final int self = null != rank ? rank : fromEnvironment.rank();
        final List<String> endpoints = null != peers ? List.copyOf(peers) : fromEnvironment.peers();
        if (endpoints.size() < 2)
        {
            throw new ParameterException(spec.commandLine(), "--rank needs --peers HOST:PORT,HOST:PORT,... (every rank's " +
                "endpoint in rank order, at least 2) or " + RingContext.PEERS_ENV);
        }
        for (final String endpoint : endpoints)
        {
            try
            {
                RingContext.parseEndpointPort(endpoint);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new ParameterException(spec.commandLine(), "--peers: " + ex.getMessage());
            }
        }
        final Set<String> distinct = new HashSet<>();
        for (final String endpoint : endpoints)
        {
            if (!distinct.add(endpoint))
            {
                throw new ParameterException(spec.commandLine(), "--peers names " + endpoint + " twice: every rank needs its own endpoint");
            }
        }
        if (null != ranks && ranks != endpoints.size())
        {
            throw new ParameterException(spec.commandLine(), "--ranks " + ranks + " does not match the " + endpoints.size() +
                " endpoints of --peers");
        }
        if (self < 0 || self >= endpoints.size())
        {
            throw new ParameterException(spec.commandLine(), "--rank must be in [0, " + endpoints.size() + ") for " +
                endpoints.size() + " peers, got " + self);
        }
        if (null != transport && TransportKind.UDP != transport)
        {
            throw new ParameterException(spec.commandLine(), "a ring across hosts talks UDP; drop --transport " +
                transport.name().toLowerCase(Locale.ROOT));
        }
        final byte[] secret = fromEnvironment.sharedSecret();
        if (null == secret)
        {
            throw new ParameterException(spec.commandLine(), "a ring across hosts needs a shared secret: export " +
                RingContext.SECRET_ENV + " (at least 16 characters) with the same value on every host");
        }
        return new Placement(Placement.Kind.MULTI_HOST, endpoints.size(), self, endpoints, secret, TransportKind.UDP);
    }

    private static RingContext environmentContext(final CommandSpec spec, final Map<String, String> environment)
    {
        try
        {
            return new RingContext().applyEnvironment(environment);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(), ex.getMessage());
        }
    }

    private static Duration seconds(final double seconds)
    {
        return Duration.ofNanos((long)(seconds * 1e9));
    }

    /** How ranks on this machine are started. */
    public enum Launch
    {
        /** Threads of this JVM. */
        THREADS,
        /** Child JVMs of this process. */
        PROCESSES
    }
}
