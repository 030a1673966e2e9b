package io.qring.allreduce.aeron;

import io.aeron.Aeron;
import io.aeron.ChannelUriStringBuilder;
import io.aeron.CommonContext;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.exceptions.AeronException;
import io.aeron.status.ChannelEndpointStatus;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import io.qring.allreduce.link.AuthenticatedRingTransport;
import io.qring.allreduce.link.FrameHeaderFlyweight;
import io.qring.allreduce.link.MembershipSecret;
import org.agrona.CloseHelper;
import org.agrona.concurrent.IdleStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * One rank's Aeron resources between binding and connecting: the media driver lease, the Aeron client
 * and the two subscriptions (for UDP: bound to this rank's endpoint, shared by both via a channel tag).
 * Binding first lets a rank bind {@code host:0} and publish the port it got ({@link #localEndpoint()})
 * before the others connect to it.
 * <p>
 * Stream ids: ring edge {@code e} (rank e to rank e+1) carries its forward direction on
 * {@code base + 2e} and its return direction on {@code base + 2e + 1}.
 */
public final class AeronRingBinding implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(AeronRingBinding.class);
    /** How often {@link #awaitExternalDriver} looks for the external media driver again. */
    private static final long DRIVER_POLL_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(10);

    private final RingContext context;
    private final int rank;
    private final int worldSize;
    private final int nextRank;
    private final int previousRank;
    private final EmbeddedMediaDriver.Lease driverLease;
    private final Aeron aeron;
    private final Subscription fromNext;
    private final Subscription fromPrevious;
    private final String localEndpoint;
    private boolean handedOver;
    private boolean closed;

    private AeronRingBinding(
        final RingContext context,
        final EmbeddedMediaDriver.Lease driverLease,
        final Aeron aeron,
        final Subscription fromNext,
        final Subscription fromPrevious,
        final String localEndpoint)
    {
        this.context = context;
        this.rank = context.rank();
        this.worldSize = context.worldSize();
        this.nextRank = (rank + 1) % worldSize;
        this.previousRank = (rank - 1 + worldSize) % worldSize;
        this.driverLease = driverLease;
        this.aeron = aeron;
        this.fromNext = fromNext;
        this.fromPrevious = fromPrevious;
        this.localEndpoint = localEndpoint;
    }

    /**
     * Starts (or joins) the media driver, connects an Aeron client and adds this rank's subscriptions.
     *
     * @param settings settings with transport IPC or UDP, as they are at this call (a copy is concluded and
     *                kept); for UDP this rank binds {@code settings.peers().get(rank)} (port 0: any free port).
     * @return the binding.
     * @throws EndpointBindException if the UDP endpoint cannot be bound; the message names it.
     * @throws IllegalArgumentException before anything is bound if this rank's UDP endpoint resolves to a
     *         loopback address while another rank's resolves to one that is not: the other hosts could never
     *         reach it (e.g. a hostname that {@code /etc/hosts} maps to 127.0.1.1).
     */
    public static AeronRingBinding bind(final RingContext settings)
    {
        final RingContext context = settings.copy().conclude();
        if (TransportKind.IPC != context.transport() && TransportKind.UDP != context.transport())
        {
            throw new IllegalArgumentException("AeronRingBinding needs transport IPC or UDP, got " + context.transport());
        }
        if (TransportKind.UDP == context.transport())
        {
            checkReachable(context.peers(), context.rank());
        }
        EmbeddedMediaDriver.Lease lease = null;
        Aeron aeron = null;
        try
        {
            lease = context.embeddedMediaDriver() ? EmbeddedMediaDriver.acquire(context.driverLivenessTimeoutNs()) : null;
            final String directory = null != lease ? lease.aeronDirectoryName() : context.aeronDirectoryName();
            final int rank = context.rank();
            if (null == lease)
            {
                awaitExternalDriver(directory, rank, context.connectTimeoutNs());
            }
            aeron = Aeron.connect(new Aeron.Context()
                .aeronDirectoryName(directory)
                .clientName("qring rank " + rank)
                .errorHandler(ex -> LOG.warn("rank {}: Aeron client error", rank, ex)));
            final int worldSize = context.worldSize();
            final int previous = (rank - 1 + worldSize) % worldSize;
            final int fromNextStream = context.streamIdBase() + 2 * rank + 1;
            final int fromPreviousStream = context.streamIdBase() + 2 * previous;
            final Subscription fromNext;
            final Subscription fromPrevious;
            final String localEndpoint;
            if (TransportKind.IPC == context.transport())
            {
                fromNext = aeron.addSubscription("aeron:ipc", fromNextStream);
                fromPrevious = aeron.addSubscription("aeron:ipc", fromPreviousStream);
                localEndpoint = "ipc";
            }
            else
            {
                final String endpoint = context.peers().get(rank);
                final String channel = new ChannelUriStringBuilder()
                    .media("udp")
                    .endpoint(endpoint)
                    .tags(Long.toString(aeron.nextCorrelationId()))
                    .build();
                fromNext = addUdpSubscription(aeron, channel, fromNextStream, endpoint, rank);
                fromPrevious = addUdpSubscription(aeron, channel, fromPreviousStream, endpoint, rank);
                localEndpoint = awaitResolvedEndpoint(fromNext, endpoint, rank, context);
            }
            return new AeronRingBinding(context, lease, aeron, fromNext, fromPrevious, localEndpoint);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(aeron, lease);
            throw ex;
        }
    }

    /**
     * Waits, at most the connect timeout, until the media driver in {@code directory} is active (its
     * CnC file exists and its heartbeat is fresh): {@link Aeron#connect} alone would wait Aeron's own
     * driver timeout, and shortening that would also shorten how long a busy driver may go silent.
     *
     * @throws IllegalStateException naming the directory if no driver is active there in time.
     */
    private static void awaitExternalDriver(final String directory, final int rank, final long connectTimeoutNs)
    {
        final File aeronDirectory = new File(directory);
        final long deadline = System.nanoTime() + connectTimeoutNs;
        final Consumer<String> log = message -> LOG.debug("rank {}: {}", rank, message);
        while (!CommonContext.isDriverActive(aeronDirectory, CommonContext.DRIVER_TIMEOUT_MS, log))
        {
            if (System.nanoTime() - deadline >= 0)
            {
                throw new IllegalStateException("rank " + rank + ": no active Aeron media driver in " + directory + " within " +
                    TimeUnit.NANOSECONDS.toMillis(connectTimeoutNs) + " ms (connect timeout); start the external driver there, " +
                    "or use the embedded one");
            }
            LockSupport.parkNanos(DRIVER_POLL_INTERVAL_NS);
        }
    }

    /**
     * Refuses a ring in which this rank would bind loopback while another rank runs on another host, whose
     * packets could then never arrive (the ring would only time out connecting, apparently failing to
     * authenticate). The usual cause: {@code /etc/hosts} of Debian and Ubuntu maps the machine's own
     * hostname to 127.0.1.1, so giving a host by its name binds loopback on that host.
     * <p>
     * Each distinct host is resolved at most once with {@link InetAddress#getByName}, the others only if this
     * rank's endpoint is loopback; hosts that do not resolve are left to the bind and connect to report.
     *
     * @param peers every rank's endpoint {@code host:port} (an IPv6 host in brackets), in rank order.
     * @param rank  this rank.
     * @throws IllegalArgumentException naming this rank's endpoint and loopback address and a rank whose is not.
     */
    static void checkReachable(final List<String> peers, final int rank)
    {
        final Map<String, Optional<InetAddress>> resolved = new HashMap<>();
        final String endpoint = peers.get(rank);
        final InetAddress own = resolved.computeIfAbsent(host(endpoint), AeronRingBinding::resolve).orElse(null);
        if (null == own || !own.isLoopbackAddress())
        {
            return;
        }
        for (int peer = 0; peer < peers.size(); peer++)
        {
            final InetAddress address = resolved.computeIfAbsent(host(peers.get(peer)), AeronRingBinding::resolve).orElse(null);
            if (null != address && !address.isLoopbackAddress())
            {
                throw new IllegalArgumentException("rank " + rank + "'s endpoint " + endpoint + " resolves to the loopback " +
                    "address " + own.getHostAddress() + ", but rank " + peer + "'s endpoint " + peers.get(peer) + " resolves to " +
                    address.getHostAddress() + ", which is not loopback: rank " + rank + " would bind loopback and never hear " +
                    "the other hosts (a hostname that /etc/hosts maps to 127.0.1.1 does this); give this host's routable " +
                    "address in the peer list (" + RingContext.PEERS_ENV + ")");
            }
        }
    }

    private static String host(final String endpoint)
    {
        return endpoint.substring(0, endpoint.lastIndexOf(':'));
    }

    private static Optional<InetAddress> resolve(final String host)
    {
        try
        {
            return Optional.of(InetAddress.getByName(host));
        }
        catch (final UnknownHostException ex)
        {
            LOG.debug("{} does not resolve; the loopback check skips it", host, ex);
            return Optional.empty();
        }
    }

    /** @return this rank's bound endpoint {@code host:port} for UDP (the actual port if 0 was asked), {@code "ipc"} for IPC. */
    public String localEndpoint()
    {
        return localEndpoint;
    }

    /**
     * Adds the publications to both neighbours and authenticates both links.
     *
     * @param peerEndpoints every rank's endpoint in rank order (UDP; each with an explicit port); ignored for IPC.
     * @param timeoutNs     how long the neighbours may take to appear and authenticate.
     * @return the connected transport, which now owns this binding's resources.
     * @throws io.qring.allreduce.link.LinkTimeoutException if the neighbours do not appear and authenticate
     *         within {@code timeoutNs}.
     * @throws IllegalArgumentException if the UDP endpoints are not one per rank, or a neighbour's has port 0.
     *         Like every failure of this call, it releases the binding's resources.
     */
    public AuthenticatedRingTransport connect(final List<String> peerEndpoints, final long timeoutNs)
    {
        if (handedOver || closed)
        {
            throw new IllegalStateException("binding of rank " + rank + " was already connected or closed");
        }
        final boolean udp = TransportKind.UDP == context.transport();
        ExclusivePublication toNext = null;
        ExclusivePublication toPrevious = null;
        try
        {
            if (udp)
            {
                checkPeerEndpoints(peerEndpoints);
            }
            final int toNextStream = context.streamIdBase() + 2 * rank;
            final int toPreviousStream = context.streamIdBase() + 2 * previousRank + 1;
            final String nextAddress = udp ? peerEndpoints.get(nextRank) : null;
            final String previousAddress = udp ? peerEndpoints.get(previousRank) : null;
            toNext = aeron.addExclusivePublication(publicationChannel(nextAddress), toNextStream);
            toPrevious = aeron.addExclusivePublication(publicationChannel(previousAddress), toPreviousStream);
            final String nextName = "rank " + nextRank + " (" + (udp ? "udp " + nextAddress : "ipc") + ")";
            final String previousName = "rank " + previousRank + " (" + (udp ? "udp " + previousAddress : "ipc") + ")";
            final int assembly = context.chunkLength() + FrameHeaderFlyweight.HEADER_LENGTH;
            final AeronPipe nextPipe = new AeronPipe(toNext, fromNext, aeron.countersReader(),
                describe(udp, nextAddress, toNextStream, toNextStream + 1), assembly);
            final AeronPipe previousPipe = new AeronPipe(toPrevious, fromPrevious, aeron.countersReader(),
                describe(udp, previousAddress, toPreviousStream, toPreviousStream - 1), assembly);
            final List<AutoCloseable> resources = new ArrayList<>();
            resources.add(aeron);
            if (null != driverLease)
            {
                resources.add(driverLease);
            }
            final MembershipSecret secret = new MembershipSecret(context.sharedSecret());
            handedOver = true;
            return AuthenticatedRingTransport.authenticate(rank, worldSize, context.ringId(), secret, nextPipe, nextName,
                previousPipe, previousName, context.idleStrategySupplier(), timeoutNs, resources);
        }
        catch (final RuntimeException ex)
        {
            if (!handedOver)
            {
                CloseHelper.quietCloseAll(toNext, toPrevious);
                close();
            }
            throw ex;
        }
    }

    private void checkPeerEndpoints(final List<String> peerEndpoints)
    {
        if (peerEndpoints.size() != worldSize)
        {
            throw new IllegalArgumentException("need " + worldSize + " peer endpoints, got " + peerEndpoints);
        }
        for (final int peer : new int[]{nextRank, previousRank})
        {
            if (RingContext.parseEndpointPort(peerEndpoints.get(peer)) == 0)
            {
                throw new IllegalArgumentException("endpoint of rank " + peer + " needs an explicit port, got " +
                    peerEndpoints.get(peer));
            }
        }
    }

    /** Releases the subscriptions, the Aeron client and the driver lease unless {@link #connect} took them over. */
    @Override
    public void close()
    {
        if (closed || handedOver)
        {
            return;
        }
        closed = true;
        CloseHelper.quietCloseAll(fromNext, fromPrevious, aeron, driverLease);
    }

    private String publicationChannel(final String endpoint)
    {
        final ChannelUriStringBuilder builder = new ChannelUriStringBuilder()
            .media(null == endpoint ? "ipc" : "udp")
            .termLength(context.termLength())
            .mtu(context.mtuLength());
        if (null != endpoint)
        {
            builder.endpoint(endpoint);
        }
        return builder.build();
    }

    private String describe(final boolean udp, final String peerEndpoint, final int outStream, final int inStream)
    {
        return (udp ? "udp " + localEndpoint + " <-> " + peerEndpoint : "ipc") + " streams out " + outStream + " in " + inStream;
    }

    private static Subscription addUdpSubscription(
        final Aeron aeron, final String channel, final int streamId, final String endpoint, final int rank)
    {
        try
        {
            return aeron.addSubscription(channel, streamId);
        }
        catch (final AeronException ex)
        {
            throw new EndpointBindException(endpoint, "rank " + rank + " cannot bind UDP endpoint " + endpoint + ": " +
                ex.getMessage(), ex);
        }
    }

    private static String awaitResolvedEndpoint(
        final Subscription subscription, final String endpoint, final int rank, final RingContext context)
    {
        final long deadline = System.nanoTime() + context.connectTimeoutNs();
        final IdleStrategy idle = context.idleStrategySupplier().get();
        while (true)
        {
            final long status = subscription.channelStatus();
            if (ChannelEndpointStatus.ERRORED == status)
            {
                throw new EndpointBindException(endpoint, "rank " + rank + " cannot bind UDP endpoint " + endpoint +
                    " (address in use, or not a local address)", null);
            }
            final String resolved = subscription.resolvedEndpoint();
            if (null != resolved && ChannelEndpointStatus.ACTIVE == status)
            {
                return resolved;
            }
            if (System.nanoTime() - deadline >= 0)
            {
                throw new EndpointBindException(endpoint, "rank " + rank + " timed out after " +
                    TimeUnit.NANOSECONDS.toMillis(context.connectTimeoutNs()) + " ms binding UDP endpoint " + endpoint +
                    " (channel status " + ChannelEndpointStatus.status(status) + ")", null);
            }
            idle.idle();
        }
    }
}
