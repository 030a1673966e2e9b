package io.qring.allreduce.aeron;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.driver.MediaDriver;
import io.qring.allreduce.LocalRing;
import io.qring.allreduce.ReduceOp;
import io.qring.allreduce.Ring;
import io.qring.allreduce.RingAllReduce;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import io.qring.allreduce.link.FrameCodec;
import io.qring.allreduce.link.FrameHeaderFlyweight;
import io.qring.allreduce.link.LinkTimeoutException;
import io.qring.allreduce.link.MembershipSecret;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AeronRingBindingTest
{
    private static final byte[] SECRET = "the members' secret, 32 bytes!!!".getBytes(StandardCharsets.US_ASCII);
    private static final long SHORT_TIMEOUT_NS = TimeUnit.MILLISECONDS.toNanos(500);
    /**
     * Connect timeout of a rank that must see a frame it rejects before it gives up: the error names the
     * rejection only if the frame arrived within it, which a busy machine may delay by more than
     * {@link #SHORT_TIMEOUT_NS}.
     */
    private static final long HANDSHAKE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(3);

    @Test
    void shouldNameTheEndpointWhenThePortIsInUse() throws Exception
    {
        try (DatagramSocket occupant = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))
        {
            final String endpoint = "127.0.0.1:" + occupant.getLocalPort();
            final RingContext context = udp(0).peers(List.of(endpoint, "127.0.0.1:1"));
            final EndpointBindException ex = assertThrows(EndpointBindException.class, () -> Ring.bind(context));
            assertEquals(endpoint, ex.endpoint());
            assertTrue(ex.getMessage().contains(endpoint), ex.getMessage());
        }
        assertNull(EmbeddedMediaDriver.runningDirectory(), "a failed bind releases the driver");
    }

    @Test
    void shouldBindAnyFreePortAndReportIt()
    {
        try (Ring.BoundRank bound = Ring.bind(udp(0).peers(List.of("localhost:0", "localhost:0"))))
        {
            final String endpoint = bound.localEndpoint();
            assertTrue(RingContext.parseEndpointPort(endpoint) > 0, endpoint);
        }
        assertNull(EmbeddedMediaDriver.runningDirectory());
    }

    /** A hostname mapped to 127.0.1.1 (Debian's /etc/hosts) would bind loopback, out of the other hosts' reach. */
    @Test
    void shouldRefuseToBindLoopbackWhenAnotherRankIsOnAnotherHost()
    {
        final String[][] cases = {{"127.0.0.1:40190", "127.0.0.1"}, {"[::1]:40190", "0:0:0:0:0:0:0:1"}};
        for (final String[] loopback : cases)
        {
            final RingContext context = udp(0).worldSize(3).peers(List.of(loopback[0], "localhost:40191", "192.0.2.1:40192"));

            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> Ring.bind(context));

            assertTrue(ex.getMessage().startsWith("rank 0's endpoint " + loopback[0] + " resolves to the loopback address " +
                loopback[1] + ", but rank 2's endpoint 192.0.2.1:40192 resolves to 192.0.2.1, which is not loopback"), ex.getMessage());
            assertTrue(ex.getMessage().endsWith("give this host's routable address in the peer list (QRING_PEERS)"), ex.getMessage());
            assertNull(EmbeddedMediaDriver.runningDirectory(), "nothing was started");
        }
    }

    @Test
    void shouldBindLoopbackWhenEveryRankIsOnThisHostOrDoesNotResolve()
    {
        final RingContext context = udp(1).worldSize(3)
            .peers(List.of("127.0.0.1:40193", "localhost:0", "qring-no-such-host.invalid:40194"));
        try (Ring.BoundRank bound = Ring.bind(context))
        {
            assertTrue(RingContext.parseEndpointPort(bound.localEndpoint()) > 0, bound.localEndpoint());
        }
        assertNull(EmbeddedMediaDriver.runningDirectory());
    }

    @Test
    void shouldReleaseTheDriverWhenConnectRefusesANeighbourWithoutAPort()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> Ring.connect(udp(0).peers(List.of("localhost:0", "localhost:0"))));
        assertTrue(ex.getMessage().contains("endpoint of rank 1 needs an explicit port"), ex.getMessage());
        assertNull(EmbeddedMediaDriver.runningDirectory(), "a refused connect releases the driver");
    }

    @Test
    void shouldReleaseTheDriverWhenABoundRanksConnectRefusesItsPeerList()
    {
        final Ring.BoundRank bound = Ring.bind(udp(0).peers(List.of("localhost:0", "localhost:0")));

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> bound.connect(List.of("localhost:40999")));

        assertTrue(ex.getMessage().contains("need 2 peer endpoints"), ex.getMessage());
        assertNull(EmbeddedMediaDriver.runningDirectory(), "a refused connect releases the driver without a close");
    }

    @Test
    void shouldKeepOutAProcessWithoutTheSecretAndNameRejectedFrames()
    {
        final Ring.BoundRank rank1 = Ring.bind(udp(1).connectTimeoutNs(HANDSHAKE_TIMEOUT_NS)
            .peers(List.of("localhost:0", "localhost:0")));
        final String endpoint = rank1.localEndpoint();
        // The intruder holds its own lease: the failed connect closes rank 1, which would stop the driver under it.
        try (EmbeddedMediaDriver.Lease lease = EmbeddedMediaDriver.acquire(SHORT_TIMEOUT_NS);
            Aeron intruder = AeronPipeTest.client(lease.aeronDirectoryName());
            ExclusivePublication forged = intruder.addExclusivePublication("aeron:udp?endpoint=" + endpoint,
                RingContext.DEFAULT_STREAM_ID_BASE))
        {
            final FrameCodec codec = new FrameCodec(RingContext.DEFAULT_RING_ID, 0, 1, "rank 1", true, 1024,
                new MembershipSecret("not the members' secret at all".getBytes(StandardCharsets.US_ASCII)).handshakeKey());
            final UnsafeBuffer hello = new UnsafeBuffer(new byte[20]);
            hello.putInt(16, 2);
            final DirectBuffer header = codec.encode(FrameHeaderFlyweight.TYPE_HELLO, hello, 0, 20);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (forged.offer(header, 0, FrameHeaderFlyweight.HEADER_LENGTH, hello, 0, 20) < 0)
            {
                assertTrue(System.nanoTime() < deadline, "intruder never reached rank 1");
                Thread.onSpinWait();
            }
            final LinkTimeoutException ex = assertThrows(LinkTimeoutException.class,
                () -> rank1.connect(List.of("127.0.0.1:9", endpoint)));
            assertTrue(ex.getMessage().contains("BAD_TAG"), ex.getMessage());
            assertTrue(ex.getMessage().contains("rank 0"), ex.getMessage());
        }
    }

    @Test
    void shouldNotLetMembersWithDifferentSecretsFormARing()
    {
        final List<RingContext> contexts = List.of(
            new RingContext().transport(TransportKind.IPC).worldSize(2).rank(0).sharedSecret(SECRET)
                .connectTimeoutNs(HANDSHAKE_TIMEOUT_NS).termLength(64 * 1024).chunkLength(4096).streamIdBase(7000),
            new RingContext().transport(TransportKind.IPC).worldSize(2).rank(1)
                .sharedSecret("a secret the other rank lacks".getBytes(StandardCharsets.US_ASCII))
                .connectTimeoutNs(HANDSHAKE_TIMEOUT_NS).termLength(64 * 1024).chunkLength(4096).streamIdBase(7000));
        final List<CompletableFuture<RingAllReduce>> ranks = contexts.stream()
            .map(context -> CompletableFuture.supplyAsync(() -> Ring.connect(context))).toList();
        for (final CompletableFuture<RingAllReduce> rank : ranks)
        {
            final Throwable failure = assertThrows(Exception.class, () -> rank.get(10, TimeUnit.SECONDS)).getCause();
            assertTrue(failure instanceof LinkTimeoutException && failure.getMessage().contains("shared secret") &&
                failure.getMessage().contains("BAD_TAG"), String.valueOf(failure));
        }
        assertNull(EmbeddedMediaDriver.runningDirectory());
    }

    @Test
    void shouldUseAnExternalMediaDriverWhenConfigured()
    {
        try (MediaDriver driver = MediaDriver.launch(AeronPipeTest.driverContext());
            LocalRing ring = LocalRing.start(new RingContext().transport(TransportKind.IPC).worldSize(2)
                .embeddedMediaDriver(false).aeronDirectoryName(driver.aeronDirectoryName())
                .termLength(64 * 1024).chunkLength(4096)))
        {
            assertNull(EmbeddedMediaDriver.runningDirectory());
            final List<double[]> results = ring.run(rank ->
            {
                final double[] data = new double[3];
                Arrays.fill(data, rank.rank() + 0.5);
                rank.allReduce(data, ReduceOp.AVERAGE);
                return data;
            }, TimeUnit.SECONDS.toNanos(30));
            assertArrayEquals(new double[]{1.0, 1.0, 1.0}, results.get(0));
            assertArrayEquals(results.get(0), results.get(1));
        }
    }

    @Test
    void shouldNameTheDirectoryWhenNoExternalMediaDriverRunsThereWithinTheConnectTimeout() throws Exception
    {
        final String directory = Files.createTempDirectory("qring-no-driver").resolve("aeron").toString();
        final RingContext context = new RingContext().transport(TransportKind.IPC).worldSize(2).rank(0).sharedSecret(SECRET)
            .embeddedMediaDriver(false).aeronDirectoryName(directory).connectTimeoutNs(SHORT_TIMEOUT_NS);
        final long start = System.nanoTime();
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> Ring.bind(context));
        final long waitedNs = System.nanoTime() - start;
        assertTrue(ex.getMessage().contains(directory) && ex.getMessage().contains("no active Aeron media driver"), ex.getMessage());
        assertTrue(waitedNs < SHORT_TIMEOUT_NS + TimeUnit.SECONDS.toNanos(3),
            "gave up after " + TimeUnit.NANOSECONDS.toMillis(waitedNs) + " ms, connect timeout 500 ms");
        assertNull(EmbeddedMediaDriver.runningDirectory());
    }

    private static RingContext udp(final int rank)
    {
        return new RingContext().transport(TransportKind.UDP).worldSize(2).rank(rank).sharedSecret(SECRET)
            .connectTimeoutNs(SHORT_TIMEOUT_NS).termLength(64 * 1024).chunkLength(4096);
    }
}
