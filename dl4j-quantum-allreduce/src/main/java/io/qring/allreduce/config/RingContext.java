package io.qring.allreduce.config;

import io.qring.allreduce.link.FrameHeaderFlyweight;
import io.qring.allreduce.link.InMemoryNetwork;
import io.qring.allreduce.link.LinkWrapper;
import io.qring.allreduce.link.MembershipSecret;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Everything one rank needs to join a ring, set fluently and validated once by {@link #conclude()}
 * (Aeron style: setters and getters share a name). Settings left alone keep the documented defaults;
 * a launcher can fill world size, rank, peers, secret, transport and Aeron directory from {@code QRING_*}
 * environment variables ({@link #fromEnvironment()}).
 * <p>
 * Not thread-safe; {@link #copy()} makes an independent context, e.g. one per rank from a template.
 */
public final class RingContext
{
    /** Environment variable holding the number of ranks. */
    public static final String WORLD_SIZE_ENV = "QRING_WORLD_SIZE";
    /** Environment variable holding this process's rank. */
    public static final String RANK_ENV = "QRING_RANK";
    /** Environment variable holding every rank's UDP endpoint, comma-separated, in rank order: {@code host:port,host:port,...}. */
    public static final String PEERS_ENV = "QRING_PEERS";
    /** Environment variable holding the shared secret: UTF-8 text, or {@code hex:} followed by hex digits. */
    public static final String SECRET_ENV = "QRING_SECRET";
    /** Environment variable naming the transport: {@code ipc}, {@code udp} or {@code in_memory}. */
    public static final String TRANSPORT_ENV = "QRING_TRANSPORT";
    /** Environment variable naming the directory of an external media driver (no embedded driver then). */
    public static final String AERON_DIR_ENV = "QRING_AERON_DIR";

    /**
     * Default largest payload of one data message (a chunk of a segment), bytes. 128 KiB chunks keep a
     * rank's buffers of the chunk in flight (send copy, sealed frame, quantum encoding, received frame)
     * inside a core's L2 cache: 16M-float all-reduces, 4 ranks over IPC, ran 15 % (classical) and 20 %
     * (quantum) faster here than with 256 KiB.
     */
    public static final int DEFAULT_CHUNK_LENGTH = 128 * 1024;
    /**
     * Default chunks a rank sends ahead of its receives: with one, a link carries the next chunk while its
     * receiver reduces the last. All-reduces of 1M floats, 4 ranks over UDP loopback, were faster than in
     * lockstep in 8 (classical) and 9 (quantum) of 12 alternating pairs of benchmark runs here (median 6 %
     * and 7 % less time); over IPC it changed nothing measurable (7 pairs, medians within 1.3 %).
     */
    public static final int DEFAULT_SEND_AHEAD = 1;
    /**
     * Aeron term length used for the default chunk length: unless set, the term length is sized for the
     * chunk ({@link #termLengthFor(int)}), since a link's largest message is min(term/8, 16 MiB) and each
     * term costs /dev/shm (3 terms per publication; Aeron's own default is 16 MiB).
     */
    public static final int DEFAULT_TERM_LENGTH = 2 * 1024 * 1024;
    /** Smallest Aeron term length. */
    public static final int MIN_TERM_LENGTH = 64 * 1024;
    /** Largest Aeron term length. */
    public static final int MAX_TERM_LENGTH = 1024 * 1024 * 1024;
    /** Aeron's cap on one message, whatever the term length. */
    public static final int MAX_MESSAGE_LENGTH_CAP = 16 * 1024 * 1024;
    /** Default MTU for UDP (fits a 1500-byte Ethernet frame). */
    public static final int DEFAULT_UDP_MTU_LENGTH = 1408;
    /** Default MTU for IPC (largest Aeron allows: fewer fragments per message). */
    public static final int DEFAULT_IPC_MTU_LENGTH = 65504;
    /** Default time the neighbours may take to appear and authenticate. */
    public static final long DEFAULT_CONNECT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);
    /** Default longest wait for any one message of a collective (send hand-over or receive). */
    public static final long DEFAULT_OPERATION_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);
    /** Default liveness timeouts of an embedded media driver (images, publication connections). */
    public static final long DEFAULT_DRIVER_LIVENESS_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);
    /** Default ring id (frames of other rings are rejected). */
    public static final long DEFAULT_RING_ID = 1;
    /** Default first Aeron stream id; a ring of N ranks uses 2N consecutive ids from here. */
    public static final int DEFAULT_STREAM_ID_BASE = 4100;
    /** Default policy for NaN and infinities in all-reduce inputs. */
    public static final NonFinitePolicy DEFAULT_NON_FINITE_POLICY = NonFinitePolicy.REJECT;
    /**
     * Name of the ring setting saying what the links are ({@link #ringSettings()}): {@code classical} unless
     * the link wrapper says otherwise (a quantum wrapper says {@code quantum}).
     */
    public static final String LINKS_SETTING = "links";
    /** Most bytes the {@link #ringSettings()} may take as UTF-8 {@code name=value} lines. */
    public static final int MAX_RING_SETTINGS_BYTES = 16 * 1024;
    /** Significant decimal digits that tell every double apart. */
    private static final int MAX_DOUBLE_DIGITS = 17;
    /** Roundings {@link #settingValue} tries at each length: the nearest decimal, then the ones below and above. */
    private static final RoundingMode[] SHORTEST_DECIMAL_MODES =
        {RoundingMode.HALF_EVEN, RoundingMode.FLOOR, RoundingMode.CEILING};

    private int worldSize;
    private int rank = -1;
    private List<String> peers = List.of();
    private TransportKind transport;
    private int chunkLength = DEFAULT_CHUNK_LENGTH;
    private int sendAhead = DEFAULT_SEND_AHEAD;
    private int termLength;
    private int mtuLength;
    private long connectTimeoutNs = DEFAULT_CONNECT_TIMEOUT_NS;
    private long operationTimeoutNs = DEFAULT_OPERATION_TIMEOUT_NS;
    private long driverLivenessTimeoutNs = DEFAULT_DRIVER_LIVENESS_TIMEOUT_NS;
    private NonFinitePolicy nonFinitePolicy = DEFAULT_NON_FINITE_POLICY;
    private long ringId = DEFAULT_RING_ID;
    private int streamIdBase = DEFAULT_STREAM_ID_BASE;
    private byte[] sharedSecret;
    private String aeronDirectoryName;
    private boolean embeddedMediaDriver = true;
    private LinkWrapper linkWrapper = LinkWrapper.IDENTITY;
    private Supplier<IdleStrategy> idleStrategySupplier = RingContext::defaultIdleStrategy;
    private InMemoryNetwork inMemoryNetwork;
    private SortedMap<String, String> sharedSettings = Collections.emptySortedMap();
    /** Variables whose values world size, rank and transport hold: named by {@link #conclude()}'s errors. */
    private final Set<String> fromEnvironment = new HashSet<>();
    private boolean concluded;

    /**
     * A context filled from the process environment ({@code QRING_*} variables).
     *
     * @return a new context; call {@link #conclude()} after any further settings.
     */
    public static RingContext fromEnvironment()
    {
        return new RingContext().applyEnvironment(System.getenv());
    }

    /**
     * Sets whatever {@code QRING_*} variables are present in {@code env}; others stay as they are.
     *
     * @param env variables, e.g. {@link System#getenv()}.
     * @return this.
     * @throws IllegalArgumentException naming the variable if a value cannot be parsed.
     */
    public RingContext applyEnvironment(final Map<String, String> env)
    {
        final String worldSizeValue = env.get(WORLD_SIZE_ENV);
        if (null != worldSizeValue)
        {
            worldSize(parseInt(WORLD_SIZE_ENV, worldSizeValue));
            fromEnvironment.add(WORLD_SIZE_ENV);
        }
        final String rankValue = env.get(RANK_ENV);
        if (null != rankValue)
        {
            rank(parseInt(RANK_ENV, rankValue));
            fromEnvironment.add(RANK_ENV);
        }
        final String peersValue = env.get(PEERS_ENV);
        if (null != peersValue)
        {
            final List<String> list = new ArrayList<>();
            for (final String peer : peersValue.split(","))
            {
                list.add(peer.trim());
            }
            peers(list);
        }
        final String secretValue = env.get(SECRET_ENV);
        if (null != secretValue)
        {
            sharedSecret(parseSecret(secretValue));
        }
        final String transportValue = env.get(TRANSPORT_ENV);
        if (null != transportValue)
        {
            try
            {
                transport(TransportKind.valueOf(transportValue.trim().toUpperCase(Locale.ROOT)));
                fromEnvironment.add(TRANSPORT_ENV);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException(TRANSPORT_ENV + "=" + transportValue + " is not one of ipc, udp, in_memory", ex);
            }
        }
        final String aeronDir = env.get(AERON_DIR_ENV);
        if (null != aeronDir && !aeronDir.isBlank())
        {
            aeronDirectoryName(aeronDir).embeddedMediaDriver(false);
        }
        return this;
    }

    /**
     * Checks every setting once; afterwards the context can be used to connect.
     *
     * @return this.
     * @throws IllegalArgumentException naming the first invalid setting, and the {@code QRING_*} variable its value
     *         came from if {@link #applyEnvironment} set it (and no setter since).
     */
    public RingContext conclude()
    {
        require(worldSize >= 2, "worldSize must be at least 2, got " + worldSize + origin(WORLD_SIZE_ENV));
        require(rank >= 0 && rank < worldSize, "rank must be in [0, " + worldSize + "), got " + rank + origin(RANK_ENV, WORLD_SIZE_ENV));
        require(null != transport, "transport must be set (IN_MEMORY, IPC or UDP)");
        require(null != sharedSecret && sharedSecret.length >= MembershipSecret.MIN_SECRET_LENGTH,
            "sharedSecret must be at least " + MembershipSecret.MIN_SECRET_LENGTH + " bytes (" + SECRET_ENV + ")");
        require(chunkLength >= 8 && chunkLength % 8 == 0, "chunkLength must be a positive multiple of 8, got " + chunkLength);
        require(sendAhead >= 0, "sendAhead must be >= 0 chunks, got " + sendAhead);
        require(connectTimeoutNs > 0, "connectTimeoutNs must be positive, got " + connectTimeoutNs);
        require(operationTimeoutNs > 0, "operationTimeoutNs must be positive, got " + operationTimeoutNs);
        require(driverLivenessTimeoutNs > 0, "driverLivenessTimeoutNs must be positive, got " + driverLivenessTimeoutNs);
        require(null != nonFinitePolicy, "nonFinitePolicy must not be null");
        require(null != linkWrapper, "linkWrapper must not be null");
        require(null != idleStrategySupplier, "idleStrategySupplier must not be null");
        require(streamIdBase > 0 && streamIdBase <= Integer.MAX_VALUE - 2 * worldSize, "streamIdBase out of range: " + streamIdBase);
        linkWrapper.checkRing(worldSize);
        checkRingSettings();
        switch (transport)
        {
            case IN_MEMORY ->
            {
                require(null != inMemoryNetwork, "transport IN_MEMORY needs an inMemoryNetwork shared by the ranks" +
                    origin(TRANSPORT_ENV));
                require(inMemoryNetwork.worldSize() == worldSize, "inMemoryNetwork has " + inMemoryNetwork.worldSize() +
                    " ranks, worldSize is " + worldSize + origin(WORLD_SIZE_ENV));
                require((long)chunkLength + FrameHeaderFlyweight.HEADER_LENGTH <= inMemoryNetwork.maxMessageLength(),
                    "chunkLength " + chunkLength + " plus the frame header exceeds the in-memory network's maximum message " +
                    inMemoryNetwork.maxMessageLength());
            }
            case IPC, UDP ->
            {
                require(Integer.bitCount(termLength()) == 1 && termLength() >= MIN_TERM_LENGTH && termLength() <= MAX_TERM_LENGTH,
                    "termLength must be a power of 2 in [64 KiB, 1 GiB], got " + termLength());
                require((long)chunkLength + FrameHeaderFlyweight.HEADER_LENGTH <= maxMessageLength(termLength()),
                    "chunkLength " + chunkLength + " plus the " + FrameHeaderFlyweight.HEADER_LENGTH +
                    "-byte frame header exceeds the largest message of termLength " + termLength() + " (min(term/8, 16 MiB) = " +
                    maxMessageLength(termLength()) + "); raise termLength or lower chunkLength");
                final int mtu = mtuLength();
                require(mtu > 32 && mtu <= DEFAULT_IPC_MTU_LENGTH && mtu % 32 == 0 && mtu <= maxMessageLength(termLength()),
                    "mtuLength must be a multiple of 32 in (32, 65504] and at most the term's largest message " +
                    maxMessageLength(termLength()) + ", got " + mtu);
                require(embeddedMediaDriver || null != aeronDirectoryName,
                    "an external media driver needs aeronDirectoryName (" + AERON_DIR_ENV + ")");
                if (TransportKind.UDP == transport)
                {
                    require(peers.size() == worldSize, "UDP needs one endpoint per rank (" + PEERS_ENV + "), got " +
                        peers.size() + " for worldSize " + worldSize + origin(TRANSPORT_ENV, WORLD_SIZE_ENV));
                    for (final String peer : peers)
                    {
                        parseEndpointPort(peer);
                    }
                }
            }
            default -> throw new IllegalArgumentException("unknown transport " + transport);
        }
        concluded = true;
        return this;
    }

    /** @return whether {@link #conclude()} succeeded. */
    public boolean isConcluded()
    {
        return concluded;
    }

    /** @return an independent copy of every setting (not concluded). */
    public RingContext copy()
    {
        final RingContext copy = new RingContext();
        copy.worldSize = worldSize;
        copy.rank = rank;
        copy.peers = peers;
        copy.transport = transport;
        copy.chunkLength = chunkLength;
        copy.sendAhead = sendAhead;
        copy.termLength = termLength;
        copy.mtuLength = mtuLength;
        copy.connectTimeoutNs = connectTimeoutNs;
        copy.operationTimeoutNs = operationTimeoutNs;
        copy.driverLivenessTimeoutNs = driverLivenessTimeoutNs;
        copy.nonFinitePolicy = nonFinitePolicy;
        copy.ringId = ringId;
        copy.streamIdBase = streamIdBase;
        copy.sharedSecret = null == sharedSecret ? null : sharedSecret.clone();
        copy.aeronDirectoryName = aeronDirectoryName;
        copy.embeddedMediaDriver = embeddedMediaDriver;
        copy.linkWrapper = linkWrapper;
        copy.idleStrategySupplier = idleStrategySupplier;
        copy.inMemoryNetwork = inMemoryNetwork;
        copy.sharedSettings = sharedSettings;
        copy.fromEnvironment.addAll(fromEnvironment);
        return copy;
    }

    /**
     * Largest message an Aeron publication with this term length carries.
     *
     * @param termLength term length, bytes.
     * @return min(termLength / 8, 16 MiB).
     */
    public static int maxMessageLength(final int termLength)
    {
        return Math.min(termLength / 8, MAX_MESSAGE_LENGTH_CAP);
    }

    /**
     * The smallest term length whose largest message holds one chunk and its frame header.
     *
     * @param chunkLength payload bytes of one data message.
     * @return the smallest power of two ≥ 8 · (chunkLength + header), at least {@link #MIN_TERM_LENGTH}
     *         ({@link #DEFAULT_TERM_LENGTH} for {@link #DEFAULT_CHUNK_LENGTH}).
     */
    public static int termLengthFor(final int chunkLength)
    {
        final long needed = 8L * ((long)chunkLength + FrameHeaderFlyweight.HEADER_LENGTH);
        final long powerOfTwo = Long.highestOneBit(Math.max(needed - 1, 1)) << 1;
        return (int)Math.min(MAX_TERM_LENGTH, Math.max(MIN_TERM_LENGTH, powerOfTwo));
    }

    /**
     * @param endpoint {@code host:port}.
     * @return the port.
     * @throws IllegalArgumentException if the endpoint is not {@code host:port} with a port in [0, 65535].
     */
    public static int parseEndpointPort(final String endpoint)
    {
        final int colon = null == endpoint ? -1 : endpoint.lastIndexOf(':');
        if (colon <= 0)
        {
            throw new IllegalArgumentException("endpoint must be host:port, got " + endpoint);
        }
        final int port;
        try
        {
            port = Integer.parseInt(endpoint.substring(colon + 1));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("endpoint must be host:port, got " + endpoint, ex);
        }
        if (port < 0 || port > 65535)
        {
            throw new IllegalArgumentException("port out of range in endpoint " + endpoint);
        }
        return port;
    }

    /**
     * @param worldSize number of ranks, at least 2.
     * @return this.
     */
    public RingContext worldSize(final int worldSize)
    {
        this.worldSize = worldSize;
        fromEnvironment.remove(WORLD_SIZE_ENV);
        return this;
    }

    /** @return number of ranks. */
    public int worldSize()
    {
        return worldSize;
    }

    /**
     * @param rank this process's rank in [0, worldSize).
     * @return this.
     */
    public RingContext rank(final int rank)
    {
        this.rank = rank;
        fromEnvironment.remove(RANK_ENV);
        return this;
    }

    /** @return this process's rank. */
    public int rank()
    {
        return rank;
    }

    /**
     * @param peers every rank's UDP endpoint {@code host:port}, in rank order (this rank binds its own
     *              entry; port 0 binds any free port, see {@code Ring.bind}).
     * @return this.
     */
    public RingContext peers(final List<String> peers)
    {
        this.peers = List.copyOf(peers);
        return this;
    }

    /** @return every rank's UDP endpoint, in rank order. */
    public List<String> peers()
    {
        return peers;
    }

    /**
     * @param transport what carries the links.
     * @return this.
     */
    public RingContext transport(final TransportKind transport)
    {
        this.transport = transport;
        fromEnvironment.remove(TRANSPORT_ENV);
        return this;
    }

    /** @return what carries the links. */
    public TransportKind transport()
    {
        return transport;
    }

    /**
     * @param chunkLength largest payload of one data message, bytes, a multiple of 8 (ranks may differ:
     *                    each collective uses the smallest); segments are split into chunks of this size
     *                    and pipelined.
     * @return this.
     */
    public RingContext chunkLength(final int chunkLength)
    {
        this.chunkLength = chunkLength;
        return this;
    }

    /** @return largest payload of one data message, bytes. */
    public int chunkLength()
    {
        return chunkLength;
    }

    /**
     * @param chunks how many chunks a rank sends ahead of its receives within a step, ≥ 0 (0: lockstep,
     *               send chunk k then receive chunk k). A rank sends at most what its next link takes
     *               unreceived ({@link io.qring.allreduce.link.Link#maxUnreceivedMessages(int)}) less two
     *               ahead, so the ranks can never all wait at once; ranks may differ.
     * @return this.
     */
    public RingContext sendAhead(final int chunks)
    {
        this.sendAhead = chunks;
        return this;
    }

    /** @return chunks a rank sends ahead of its receives, at most (its next link may allow fewer). */
    public int sendAhead()
    {
        return sendAhead;
    }

    /**
     * @param termLength Aeron term length of every publication, a power of 2; each link direction maps
     *                   3 terms (twice for UDP: publication and image) in the driver directory. 0 (the
     *                   default) sizes it for the chunk length: {@link #termLengthFor(int)}.
     * @return this.
     */
    public RingContext termLength(final int termLength)
    {
        this.termLength = termLength;
        return this;
    }

    /** @return Aeron term length in effect, bytes: as set, or sized for the chunk length. */
    public int termLength()
    {
        return 0 != termLength ? termLength : termLengthFor(chunkLength);
    }

    /**
     * @param mtuLength Aeron MTU, a multiple of 32 up to 65504 and at most min(term/8, 16 MiB); 0 picks
     *                  {@link #DEFAULT_UDP_MTU_LENGTH} for UDP and {@link #DEFAULT_IPC_MTU_LENGTH} for IPC,
     *                  capped at the term's largest message.
     * @return this.
     */
    public RingContext mtuLength(final int mtuLength)
    {
        this.mtuLength = mtuLength;
        return this;
    }

    /** @return the MTU in effect: as set, or the transport's default capped at the term's largest message. */
    public int mtuLength()
    {
        if (0 != mtuLength)
        {
            return mtuLength;
        }
        final int preferred = TransportKind.UDP == transport ? DEFAULT_UDP_MTU_LENGTH : DEFAULT_IPC_MTU_LENGTH;
        return Math.min(preferred, maxMessageLength(termLength()) & ~31);
    }

    /**
     * @param connectTimeoutNs how long {@code Ring.connect} may take: for the neighbours to appear and
     *                         authenticate, and to send their ring settings (each does once both of its own
     *                         neighbours have authenticated).
     * @return this.
     */
    public RingContext connectTimeoutNs(final long connectTimeoutNs)
    {
        this.connectTimeoutNs = connectTimeoutNs;
        return this;
    }

    /** @return how long the neighbours may take to appear and authenticate, ns. */
    public long connectTimeoutNs()
    {
        return connectTimeoutNs;
    }

    /**
     * @param operationTimeoutNs longest wait for any one message of a collective (a send being handed
     *                           over, or a receive); a failed or silent peer is reported within it.
     * @return this.
     */
    public RingContext operationTimeoutNs(final long operationTimeoutNs)
    {
        this.operationTimeoutNs = operationTimeoutNs;
        return this;
    }

    /** @return longest wait for any one message of a collective, ns. */
    public long operationTimeoutNs()
    {
        return operationTimeoutNs;
    }

    /**
     * @param driverLivenessTimeoutNs image liveness and publication connection timeouts of an embedded
     *                                media driver (how soon a silent UDP peer is declared gone).
     * @return this.
     */
    public RingContext driverLivenessTimeoutNs(final long driverLivenessTimeoutNs)
    {
        this.driverLivenessTimeoutNs = driverLivenessTimeoutNs;
        return this;
    }

    /** @return liveness timeout of an embedded media driver, ns. */
    public long driverLivenessTimeoutNs()
    {
        return driverLivenessTimeoutNs;
    }

    /**
     * @param nonFinitePolicy what to do with NaN and infinities in all-reduce inputs.
     * @return this.
     */
    public RingContext nonFinitePolicy(final NonFinitePolicy nonFinitePolicy)
    {
        this.nonFinitePolicy = nonFinitePolicy;
        return this;
    }

    /** @return what to do with NaN and infinities in all-reduce inputs. */
    public NonFinitePolicy nonFinitePolicy()
    {
        return nonFinitePolicy;
    }

    /**
     * @param ringId id stamped on every frame; frames of another ring are rejected.
     * @return this.
     */
    public RingContext ringId(final long ringId)
    {
        this.ringId = ringId;
        return this;
    }

    /** @return the ring id. */
    public long ringId()
    {
        return ringId;
    }

    /**
     * @param streamIdBase first Aeron stream id; the ring uses {@code [base, base + 2 * worldSize)}.
     * @return this.
     */
    public RingContext streamIdBase(final int streamIdBase)
    {
        this.streamIdBase = streamIdBase;
        return this;
    }

    /** @return the first Aeron stream id. */
    public int streamIdBase()
    {
        return streamIdBase;
    }

    /**
     * @param sharedSecret the membership secret every rank holds, at least 16 bytes; copied.
     * @return this.
     */
    public RingContext sharedSecret(final byte[] sharedSecret)
    {
        this.sharedSecret = null == sharedSecret ? null : sharedSecret.clone();
        return this;
    }

    /** @return a copy of the membership secret, or {@code null} if unset. */
    public byte[] sharedSecret()
    {
        return null == sharedSecret ? null : sharedSecret.clone();
    }

    /**
     * @param aeronDirectoryName directory of the media driver: of an external driver when
     *                           {@link #embeddedMediaDriver(boolean)} is false; ignored otherwise (the
     *                           embedded driver uses a fresh unique directory).
     * @return this.
     */
    public RingContext aeronDirectoryName(final String aeronDirectoryName)
    {
        this.aeronDirectoryName = aeronDirectoryName;
        return this;
    }

    /** @return directory of an external media driver, or {@code null}. */
    public String aeronDirectoryName()
    {
        return aeronDirectoryName;
    }

    /**
     * @param embeddedMediaDriver {@code true} (default): one embedded media driver per process, shared by
     *                            its ranks, in a unique directory deleted on start and shutdown;
     *                            {@code false}: connect to an external driver at {@link #aeronDirectoryName()}.
     * @return this.
     */
    public RingContext embeddedMediaDriver(final boolean embeddedMediaDriver)
    {
        this.embeddedMediaDriver = embeddedMediaDriver;
        return this;
    }

    /** @return whether an embedded media driver is used. */
    public boolean embeddedMediaDriver()
    {
        return embeddedMediaDriver;
    }

    /**
     * @param linkWrapper decorates each rank's links after authentication (e.g. the quantum link).
     * @return this.
     */
    public RingContext linkWrapper(final LinkWrapper linkWrapper)
    {
        this.linkWrapper = linkWrapper;
        return this;
    }

    /** @return the link decorator hook. */
    public LinkWrapper linkWrapper()
    {
        return linkWrapper;
    }

    /**
     * @param idleStrategySupplier makes the idle strategy each link waits with.
     * @return this.
     */
    public RingContext idleStrategySupplier(final Supplier<IdleStrategy> idleStrategySupplier)
    {
        this.idleStrategySupplier = idleStrategySupplier;
        return this;
    }

    /** @return makes the idle strategy each link waits with. */
    public Supplier<IdleStrategy> idleStrategySupplier()
    {
        return idleStrategySupplier;
    }

    /**
     * @param inMemoryNetwork the queues shared by the ranks of an {@link TransportKind#IN_MEMORY} ring.
     * @return this.
     */
    public RingContext inMemoryNetwork(final InMemoryNetwork inMemoryNetwork)
    {
        this.inMemoryNetwork = inMemoryNetwork;
        return this;
    }

    /** @return the in-memory network, or {@code null}. */
    public InMemoryNetwork inMemoryNetwork()
    {
        return inMemoryNetwork;
    }

    /**
     * The text of a number in {@link #ringSettings()}: the shortest decimal that reads back as the same
     * double (at each length the nearest one, else the one below, else the one above), worked out with
     * {@link BigDecimal} from the exact value, so ranks on different JDKs write equal numbers alike
     * ({@link Double#toString(double)} prints some doubles differently since JDK 19).
     *
     * @param value the number.
     * @return e.g. {@code "0.01"}, {@code "0.000001"}, {@code "2E+23"}, {@code "-0"}; {@code "NaN"} and
     *         {@code "Infinity"} as such.
     */
    public static String settingValue(final double value)
    {
        if (!Double.isFinite(value))
        {
            return Double.toString(value);
        }
        if (0 == value)
        {
            return 1 / value < 0 ? "-0" : "0";
        }
        final BigDecimal exact = new BigDecimal(value);
        for (int digits = 1; digits < MAX_DOUBLE_DIGITS; digits++)
        {
            for (final RoundingMode mode : SHORTEST_DECIMAL_MODES)
            {
                final BigDecimal rounded = exact.round(new MathContext(digits, mode));
                if (rounded.doubleValue() == value)
                {
                    return rounded.stripTrailingZeros().toString();
                }
            }
        }
        return exact.round(new MathContext(MAX_DOUBLE_DIGITS, RoundingMode.HALF_EVEN)).stripTrailingZeros().toString();
    }

    /**
     * Settings of the application that every rank of the ring must share, e.g. a training job's batch size,
     * learning rate and data: they join {@link #ringSettings()}, which every rank compares with its
     * neighbours' when the ring connects, so ranks started with different job settings fail at once,
     * naming the settings, instead of training apart.
     *
     * @param sharedSettings setting name to its value as text; names must not hold {@code '='}, neither may
     *                       hold a line break, and names must differ from those the link wrapper uses.
     * @return this.
     */
    public RingContext sharedSettings(final Map<String, String> sharedSettings)
    {
        this.sharedSettings = Collections.unmodifiableSortedMap(new TreeMap<>(Objects.requireNonNull(sharedSettings, "sharedSettings")));
        return this;
    }

    /** @return the application's settings every rank must share (empty by default), sorted by name. */
    public SortedMap<String, String> sharedSettings()
    {
        return sharedSettings;
    }

    /**
     * Everything this rank must configure like every other, as each rank sends it to its neighbours when
     * the ring connects: {@value #LINKS_SETTING} ({@code classical} unless the link wrapper says otherwise),
     * the link wrapper's {@link LinkWrapper#ringSettings() ring settings} and the {@link #sharedSettings()}.
     * A neighbour with other values fails the connect on both sides with a
     * {@code io.qring.allreduce.RingSettingsMismatchException} naming each difference. Timeouts, chunk length,
     * pacing and the transport's buffers may differ between ranks.
     *
     * @return setting name to value, sorted by name.
     */
    public SortedMap<String, String> ringSettings()
    {
        final SortedMap<String, String> settings = new TreeMap<>();
        settings.put(LINKS_SETTING, "classical");
        settings.putAll(linkWrapper.ringSettings());
        settings.putAll(sharedSettings);
        return settings;
    }

    private void checkRingSettings()
    {
        final Map<String, String> librarySettings = new TreeMap<>(linkWrapper.ringSettings());
        librarySettings.put(LINKS_SETTING, "classical");
        for (final String name : sharedSettings.keySet())
        {
            require(!librarySettings.containsKey(name), "shared setting " + name + " has the name of a link setting " +
                librarySettings.keySet());
        }
        final SortedMap<String, String> settings = ringSettings();
        for (final Map.Entry<String, String> setting : settings.entrySet())
        {
            final String name = setting.getKey();
            require(!name.isEmpty() && name.indexOf('=') < 0 && name.indexOf('\n') < 0 &&
                null != setting.getValue() && setting.getValue().indexOf('\n') < 0,
                "ring setting names must be non-empty without '=' or line breaks, and values without line breaks, got " +
                name + " = " + setting.getValue());
        }
        final int bytes = ringSettingsText(settings).length;
        require(bytes <= MAX_RING_SETTINGS_BYTES, "the ring settings take " + bytes + " bytes as name=value lines, more than " +
            MAX_RING_SETTINGS_BYTES + ": " + settings.keySet());
    }

    /**
     * Ring settings as they travel when the ring connects.
     *
     * @param settings name to value, e.g. {@link #ringSettings()}.
     * @return UTF-8 text, one {@code name=value} line per setting in name order.
     */
    public static byte[] ringSettingsText(final SortedMap<String, String> settings)
    {
        final StringBuilder text = new StringBuilder();
        settings.forEach((name, value) -> text.append(name).append('=').append(value).append('\n'));
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The default wait of the links, also that of the embedded media driver's shared agent: spin
     * briefly, yield, then park from 1 µs up to 100 µs, which suits several ranks sharing few cores.
     *
     * @return a new idle strategy.
     */
    public static IdleStrategy defaultIdleStrategy()
    {
        return new BackoffIdleStrategy(50, 20, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(100));
    }

    @Override
    public String toString()
    {
        return "RingContext{worldSize=" + worldSize + ", rank=" + rank + ", transport=" + transport + ", peers=" + peers +
            ", chunkLength=" + chunkLength + ", sendAhead=" + sendAhead + ", termLength=" + termLength() + ", mtuLength=" + mtuLength() +
            ", connectTimeoutNs=" + connectTimeoutNs + ", operationTimeoutNs=" + operationTimeoutNs +
            ", nonFinitePolicy=" + nonFinitePolicy + ", ringId=" + ringId +
            ", streamIdBase=" + streamIdBase + ", embeddedMediaDriver=" + embeddedMediaDriver +
            ", aeronDirectoryName=" + aeronDirectoryName + ", sharedSettings=" + sharedSettings.keySet() +
            ", secret=" + (null == sharedSecret ? "unset" : "set") + "}";
    }

    /**
     * @param variables the variables a message's values may have come from.
     * @return {@code " (from QRING_X, QRING_Y)"} naming those whose values this context holds, or {@code ""}.
     */
    private String origin(final String... variables)
    {
        final List<String> sources = new ArrayList<>();
        for (final String variable : variables)
        {
            if (fromEnvironment.contains(variable))
            {
                sources.add(variable);
            }
        }
        return sources.isEmpty() ? "" : " (from " + String.join(", ", sources) + ")";
    }

    private static void require(final boolean condition, final String message)
    {
        if (!condition)
        {
            throw new IllegalArgumentException(message);
        }
    }

    private static int parseInt(final String name, final String value)
    {
        try
        {
            return Integer.parseInt(value.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(name + "=" + value + " is not an integer", ex);
        }
    }

    private static byte[] parseSecret(final String value)
    {
        if (value.startsWith("hex:"))
        {
            try
            {
                return HexFormat.of().parseHex(value.substring(4));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException(SECRET_ENV + " starts with hex: but is not hexadecimal", ex);
            }
        }
        return value.getBytes(StandardCharsets.UTF_8);
    }
}
