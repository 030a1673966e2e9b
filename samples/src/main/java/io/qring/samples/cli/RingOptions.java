package io.qring.samples.cli;

import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import io.qring.allreduce.link.MembershipSecret;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
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
    private static final String CHILD_RANK_OPTION = "--child-rank";
    private static final String CHILD_RANKS_OPTION = "--child-ranks";

    @Option(names = "--ranks", paramLabel = "N",
        description = "Ranks in the ring, at least 2 (default: " + RingContext.WORLD_SIZE_ENV + " if set, else " + DEFAULT_RANKS +
            "; with --peers: the number of peers).")
    private Integer ranks;

    @Option(names = "--launch", paramLabel = "HOW", defaultValue = "threads",
        description = "threads: every rank is a thread of this JVM (default: starts fast, shares the data); " +
            "processes: every rank is a child JVM (OMP_NUM_THREADS=1) talking UDP over loopback.")
    private Launch launch;

    @Option(names = "--transport", paramLabel = "KIND",
        description = "ipc (Aeron IPC, one shared embedded driver) or udp (Aeron UDP); default: " + RingContext.TRANSPORT_ENV +
            " if set, else ipc for threads, udp for processes and hosts.")
    private TransportKind transport;

    @Option(names = "--rank", paramLabel = "R",
        description = "Run only rank R of a ring spread over hosts (needs --peers, or " + RingContext.RANK_ENV + " and " +
            RingContext.PEERS_ENV + ", and the same " + RingContext.SECRET_ENV + " on every host).")
    private Integer rank;

    @Option(names = "--peers", paramLabel = "HOST:PORT", split = ",",
        description = "Every rank's UDP endpoint in rank order, each with its port, e.g. 10.0.0.1:40100,10.0.0.2:40100 " +
            "(with --rank; default: " + RingContext.PEERS_ENV + ").")
    private List<String> peers;

    @Option(names = "--connect-timeout", paramLabel = "SECONDS", defaultValue = "30",
        description = "How long ranks may take to find and authenticate their neighbours (default: ${DEFAULT-VALUE}).")
    private double connectTimeoutSeconds;

    @Option(names = "--operation-timeout", paramLabel = "SECONDS", defaultValue = "120",
        description = "Longest wait for one message of an exchange, e.g. while rank 0 evaluates (default: ${DEFAULT-VALUE}).")
    private double operationTimeoutSeconds;

    @Option(names = CHILD_RANK_OPTION, hidden = true, description = "Internal: run as this rank of a --launch processes parent.")
    private Integer childRank;

    @Option(names = CHILD_RANKS_OPTION, hidden = true, description = "Internal: the ring size of a --launch processes parent.")
    private Integer childRanks;

    /**
     * Resolves where the ranks run, checking the combination of options and environment. Each option wins
     * over its {@code QRING_*} variable, which is read (and must be valid) only when the option is not given:
     * {@value RingContext#WORLD_SIZE_ENV} for {@code --ranks}, {@value RingContext#TRANSPORT_ENV} for
     * {@code --transport}, {@value RingContext#RANK_ENV} for {@code --rank} and {@value RingContext#PEERS_ENV}
     * for {@code --peers}, each checked as its option is; a ring across hosts reads its secret from
     * {@value RingContext#SECRET_ENV}. {@value RingContext#AERON_DIR_ENV} is refused: every JVM the command
     * starts runs its own embedded media driver.
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
            if (null == childRanks)
            {
                throw new ParameterException(spec.commandLine(), CHILD_RANK_OPTION + " is internal to --launch processes and " +
                    "needs " + CHILD_RANKS_OPTION);
            }
            return new Placement(Placement.Kind.CHILD, childRanks, childRank, List.of(),
                fromEnvironment(spec, environment, RingContext.SECRET_ENV).sharedSecret(), TransportKind.UDP);
        }
        final String aeronDirectory = environment.get(RingContext.AERON_DIR_ENV);
        if (null != aeronDirectory && !aeronDirectory.isBlank())
        {
            throw new ParameterException(spec.commandLine(), RingContext.AERON_DIR_ENV + "=" + aeronDirectory + " names an " +
                "external media driver, which qring does not use (every JVM it starts runs its own embedded driver); unset " +
                RingContext.AERON_DIR_ENV);
        }
        if (null != rank || environment.containsKey(RingContext.RANK_ENV))
        {
            return multiHost(spec, environment);
        }
        final boolean worldSizeFromEnvironment = null == ranks && environment.containsKey(RingContext.WORLD_SIZE_ENV);
        final int worldSize = worldSizeFromEnvironment ? fromEnvironment(spec, environment, RingContext.WORLD_SIZE_ENV).worldSize() :
            Objects.requireNonNullElse(ranks, DEFAULT_RANKS);
        if (worldSize < 2)
        {
            throw new ParameterException(spec.commandLine(), (worldSizeFromEnvironment ? RingContext.WORLD_SIZE_ENV : "--ranks") +
                " must be at least 2 (a ring needs two ranks), got " + worldSize);
        }
        if (null != peers || environment.containsKey(RingContext.PEERS_ENV))
        {
            throw new ParameterException(spec.commandLine(), (null != peers ? "--peers" : RingContext.PEERS_ENV) +
                " runs one rank of a ring across hosts and needs --rank (or " + RingContext.RANK_ENV + ")");
        }
        final TransportKind chosen = null != transport ? transport :
            fromEnvironment(spec, environment, RingContext.TRANSPORT_ENV).transport();
        if (Launch.PROCESSES == launch)
        {
            if (null != chosen && TransportKind.UDP != chosen)
            {
                throw new ParameterException(spec.commandLine(), "--launch processes talks UDP between the rank JVMs; " +
                    transportSource(environment) + " only works with --launch threads");
            }
            return new Placement(Placement.Kind.PROCESSES, worldSize, -1, List.of(), null, TransportKind.UDP);
        }
        return new Placement(Placement.Kind.THREADS, worldSize, -1, List.of(), null, null == chosen ? TransportKind.IPC : chosen);
    }

    /**
     * The options a child JVM of {@code --launch processes} takes after its parent's arguments.
     *
     * @param worldSize the ring's size as the parent resolved it.
     * @param rank      the child's rank.
     * @return the options.
     */
    static List<String> childOptions(final int worldSize, final int rank)
    {
        return List.of(CHILD_RANKS_OPTION, Integer.toString(worldSize), CHILD_RANK_OPTION, Integer.toString(rank));
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
        final String rankSource = null != rank ? "--rank" : RingContext.RANK_ENV;
        if (Launch.PROCESSES == launch)
        {
            throw new ParameterException(spec.commandLine(), rankSource + " runs one rank of a ring across hosts; drop " +
                "--launch processes (or unset " + RingContext.RANK_ENV + ")");
        }
        final int self = null != rank ? rank : fromEnvironment(spec, environment, RingContext.RANK_ENV).rank();
        final String peersSource = null != peers ? "--peers" : RingContext.PEERS_ENV;
        final List<String> endpoints = null != peers ? List.copyOf(peers) :
            fromEnvironment(spec, environment, RingContext.PEERS_ENV).peers();
        if (endpoints.size() < 2)
        {
            throw new ParameterException(spec.commandLine(), rankSource + " needs --peers HOST:PORT,HOST:PORT,... (every " +
                "rank's endpoint in rank order, at least 2) or " + RingContext.PEERS_ENV);
        }
        final Set<String> distinct = new HashSet<>();
        for (final String endpoint : endpoints)
        {
            final int port;
            try
            {
                port = RingContext.parseEndpointPort(endpoint);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new ParameterException(spec.commandLine(), peersSource + ": " + ex.getMessage());
            }
            if (0 == port)
            {
                throw new ParameterException(spec.commandLine(), peersSource + ": " + endpoint + " has port 0, which would " +
                    "bind any free port the other hosts cannot know; give every rank an explicit port");
            }
            if (!distinct.add(endpoint))
            {
                throw new ParameterException(spec.commandLine(), peersSource + " names " + endpoint + " twice: every rank " +
                    "needs its own endpoint");
            }
        }
        if (null != ranks && ranks != endpoints.size())
        {
            throw new ParameterException(spec.commandLine(), "--ranks " + ranks + " does not match the " + endpoints.size() +
                " endpoints of " + peersSource);
        }
        if (null == ranks && environment.containsKey(RingContext.WORLD_SIZE_ENV))
        {
            final int worldSize = fromEnvironment(spec, environment, RingContext.WORLD_SIZE_ENV).worldSize();
            if (worldSize != endpoints.size())
            {
                throw new ParameterException(spec.commandLine(), RingContext.WORLD_SIZE_ENV + "=" + worldSize + " does not " +
                    "match the " + endpoints.size() + " endpoints of " + peersSource);
            }
        }
        if (self < 0 || self >= endpoints.size())
        {
            throw new ParameterException(spec.commandLine(), rankSource + " must be in [0, " + endpoints.size() + ") for " +
                endpoints.size() + " peers, got " + self);
        }
        final TransportKind chosen = null != transport ? transport :
            fromEnvironment(spec, environment, RingContext.TRANSPORT_ENV).transport();
        if (null != chosen && TransportKind.UDP != chosen)
        {
            final String source = transportSource(environment);
            throw new ParameterException(spec.commandLine(), "a ring across hosts talks UDP; " +
                (null != transport ? "drop " + source : source + " asks for another transport: unset it or set it to udp"));
        }
        final byte[] secret = fromEnvironment(spec, environment, RingContext.SECRET_ENV).sharedSecret();
        final String secretFormat = "at least " + MembershipSecret.MIN_SECRET_LENGTH + " bytes: text, or hex: and at least " +
            2 * MembershipSecret.MIN_SECRET_LENGTH + " hex digits";
        if (null == secret)
        {
            throw new ParameterException(spec.commandLine(), "a ring across hosts needs a shared secret: export " +
                RingContext.SECRET_ENV + " (" + secretFormat + ") with the same value on every host");
        }
        if (secret.length < MembershipSecret.MIN_SECRET_LENGTH)
        {
            throw new ParameterException(spec.commandLine(), RingContext.SECRET_ENV + " holds " + secret.length + " bytes, too " +
                "short for the ring's shared secret (" + secretFormat + "); export a longer one with the same value on every host");
        }
        return new Placement(Placement.Kind.MULTI_HOST, endpoints.size(), self, endpoints, secret, TransportKind.UDP);
    }

    /** @return how the transport was chosen, for messages: {@code --transport ipc} or {@code QRING_TRANSPORT=ipc}. */
    private String transportSource(final Map<String, String> environment)
    {
        return null != transport ? "--transport " + transport.name().toLowerCase(Locale.ROOT) :
            RingContext.TRANSPORT_ENV + "=" + environment.get(RingContext.TRANSPORT_ENV);
    }

    /**
     * Parses one {@code QRING_*} variable as {@link RingContext#applyEnvironment} does, leaving the others unread.
     *
     * @return a context holding that variable's setting, or none if the variable is not set.
     * @throws ParameterException naming the variable if its value cannot be parsed.
     */
    private static RingContext fromEnvironment(final CommandSpec spec, final Map<String, String> environment, final String variable)
    {
        final String value = environment.get(variable);
        try
        {
            return new RingContext().applyEnvironment(null == value ? Map.of() : Map.of(variable, value));
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
