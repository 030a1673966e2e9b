package io.qring.allreduce;

import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import io.qring.allreduce.link.FrameHeaderFlyweight;
import io.qring.allreduce.link.InMemoryNetwork;
import io.qring.allreduce.link.Link;
import io.qring.allreduce.link.LinkWrapper;
import io.qring.allreduce.link.PeerFailedException;
import io.qring.allreduce.quantum.QuantumLinkSettings;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;
import io.qring.channel.noise.PauliChannel;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

import static io.qring.allreduce.RingTestSupport.RUN_TIMEOUT_NS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ranks compare their ring settings with their neighbours' when the ring connects: differences fail the
 * connect on both sides, naming each differing setting, and the rest of the ring fails at once.
 */
class RingSettingsExchangeTest
{
    private static final QuantumLinkSettings QUANTUM = QuantumLinkSettings.builder().build();
    /** Largest message the test links carry. */
    private static final int LINK_MESSAGE_BYTES = 1024;

    @Test
    void shouldFailQuantumAndClassicalNeighboursAtConnectNamingTheLinksAndFailTheRestOfTheRingAtOnce() throws Exception
    {
        final List<Object> outcomes = connectAll(4, rank -> 0 == rank ? context().linkWrapper(QUANTUM.wrapper()) : context());
        try
        {
            final String rank0 = assertInstanceOf(RingSettingsMismatchException.class, outcomes.get(0)).getMessage();
            final String onlyQuantum = String.join(", ", QUANTUM.ringSettings().keySet().stream()
                .filter(name -> !RingContext.LINKS_SETTING.equals(name)).toList());
            assertEquals("rank 0 and rank 3 (in-memory) run with different ring settings, as rank 0 / rank 3: " +
                "links = quantum / classical; only rank 0 sets " + onlyQuantum + "; and rank 0 and rank 1 (in-memory) run with " +
                "different ring settings, as rank 0 / rank 1: links = quantum / classical; only rank 0 sets " + onlyQuantum +
                " (start every rank with the same settings)", rank0);
            assertTrue(onlyQuantum.contains("quantum.seed"), onlyQuantum);
            for (final int neighbour : new int[] {1, 3})
            {
                final String message = assertInstanceOf(RingSettingsMismatchException.class, outcomes.get(neighbour)).getMessage();
                assertTrue(message.contains("rank " + neighbour + " and rank 0 (in-memory) run with different ring settings, as rank " +
                    neighbour + " / rank 0: links = classical / quantum; only rank 0 sets quantum.alarm-policy, "), message);
            }
            final RingAllReduce rank2 = assertInstanceOf(RingAllReduce.class, outcomes.get(2),
                "rank 2 shares its settings with both its neighbours, so it connects");
            final PeerFailedException failed = assertThrows(PeerFailedException.class,
                () -> rank2.allReduce(new float[8], ReduceOp.SUM), "its neighbours gave up: no waiting for a timeout");
            assertTrue(failed.peerName().equals("rank 1 (in-memory)") || failed.peerName().equals("rank 3 (in-memory)"),
                failed.getMessage());
            assertTrue(failed.getMessage().contains(failed.peerName() + " aborted: ") &&
                failed.abortReason().contains(" and rank 0 (in-memory) run with different ring settings"), failed.getMessage());
        }
        finally
        {
            closeConnected(outcomes);
        }
    }

    /**
     * Rank 2 of 4 matches both its neighbours, so it connects; rank 0 differs from both of them, so they
     * give up. Rank 2's first collective then fails naming their reason, whichever of them it notices
     * first: rank 3 through the send it stopped reading (its abort sits on the reverse direction), rank 1
     * through the abort it sent forward.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldTellARankWhoseNeighboursBothMatchItWhyTheyGaveUp(final boolean quantum) throws Exception
    {
        final List<Object> outcomes = connectAll(4, rank ->
        {
            final RingContext context = context().sharedSettings(Map.of("job.seed", 0 == rank ? "8" : "7"));
            return quantum ? context.linkWrapper(QUANTUM.wrapper()) : context;
        });
        try
        {
            final RingAllReduce rank2 = assertInstanceOf(RingAllReduce.class, outcomes.get(2), () -> String.valueOf(outcomes.get(2)));
            final PeerFailedException failed = assertThrows(PeerFailedException.class, () -> rank2.allReduce(new float[8], ReduceOp.SUM));
            assertTrue(failed.getMessage().contains(failed.peerName() + " aborted: ") && failed.abortReason().matches(
                "rank [13] and rank 0 \\(in-memory\\) run with different ring settings, as rank [13] / rank 0: job.seed = 7 / 8 .*"),
                failed.getMessage());
        }
        finally
        {
            closeConnected(outcomes);
        }
    }

    /** A rank that fails to connect after authenticating (here its link wrapper throws) tells its neighbours why. */
    @Test
    void shouldTellTheNeighboursWhyARankFailedToConnectAfterAuthenticating() throws Exception
    {
        final LinkWrapper failingOnRank1 = new LinkWrapper()
        {
            @Override
            public Link wrapNext(final Link link, final int selfRank, final int nextRank)
            {
                if (1 == selfRank)
                {
                    throw new IllegalArgumentException("boom");
                }
                return link;
            }

            @Override
            public Link wrapPrevious(final Link link, final int selfRank, final int previousRank)
            {
                return link;
            }
        };
        final List<Object> outcomes = connectAll(3, rank -> context().linkWrapper(failingOnRank1));
        try
        {
            assertEquals("boom", assertInstanceOf(IllegalArgumentException.class, outcomes.get(1)).getMessage());
            final RingAllReduce rank0 = assertInstanceOf(RingAllReduce.class, outcomes.get(0), () -> String.valueOf(outcomes.get(0)));
            final PeerFailedException failed = assertThrows(PeerFailedException.class, () -> rank0.allReduce(new float[8], ReduceOp.SUM));
            assertTrue(null != failed.abortReason() && failed.abortReason().contains("rank 1 failed to connect: boom"),
                failed.getMessage());
        }
        finally
        {
            closeConnected(outcomes);
        }
    }

    @Test
    void shouldNameOnlyTheSettingsThatDiffer() throws Exception
    {
        final List<Object> outcomes = connectAll(2, rank -> context().linkWrapper(QuantumLinkSettings.builder()
            .seed(0 == rank ? 7 : 8).onlineChannel(PauliChannel.depolarizing(1e-3)).controlTimeoutNs(TimeUnit.SECONDS.toNanos(1 + rank))
            .build().wrapper()));
        final String message = assertInstanceOf(RingSettingsMismatchException.class, outcomes.get(0)).getMessage();
        assertEquals("rank 0 and rank 1 (in-memory) run with different ring settings, as rank 0 / rank 1: quantum.seed = 7 / 8 " +
            "(start every rank with the same settings)", message);
        assertInstanceOf(RingSettingsMismatchException.class, outcomes.get(1));
    }

    @Test
    void shouldRequireTheApplicationsSharedSettingsAndNameMissingOnes() throws Exception
    {
        final List<Object> outcomes = connectAll(3, rank -> context().sharedSettings(
            2 == rank ? Map.of("job.batch-size", "64") : Map.of("job.batch-size", "32", "job.epochs", "2")));
        try
        {
            final String rank2 = assertInstanceOf(RingSettingsMismatchException.class, outcomes.get(2)).getMessage();
            assertTrue(rank2.contains("rank 2 and rank 1 (in-memory) run with different ring settings, as rank 2 / rank 1: " +
                "job.batch-size = 64 / 32; only rank 1 sets job.epochs"), rank2);
            final String rank0 = assertInstanceOf(RingSettingsMismatchException.class, outcomes.get(0)).getMessage();
            assertEquals("rank 0 and rank 2 (in-memory) run with different ring settings, as rank 0 / rank 2: " +
                "job.batch-size = 32 / 64; only rank 0 sets job.epochs (start every rank with the same settings)", rank0);
        }
        finally
        {
            closeConnected(outcomes);
        }
    }

    /**
     * Equal settings connect even when the ranks' own timeouts and chunk lengths differ, and a settings text
     * longer than the links' largest message travels in pieces.
     */
    @Test
    void shouldConnectEqualSettingsAcrossSmallMessages() throws Exception
    {
        final Map<String, String> shared = Map.of("job.data", "x".repeat(3000), "job.seed", "42");
        final List<Object> outcomes = connectAll(2, rank -> context().sharedSettings(shared)
            .chunkLength(0 == rank ? 256 : 128).operationTimeoutNs(TimeUnit.SECONDS.toNanos(5 + rank)));
        try
        {
            final float[][] data = {{1, 2, 3}, {4, 5, 6}};
            final List<Future<?>> calls = new ArrayList<>();
            final ExecutorService executor = Executors.newFixedThreadPool(2);
            try
            {
                for (int r = 0; r < 2; r++)
                {
                    final int rank = r;
                    calls.add(executor.submit(() -> ((RingAllReduce)outcomes.get(rank)).allReduce(data[rank], ReduceOp.SUM)));
                }
                for (final Future<?> call : calls)
                {
                    call.get(RUN_TIMEOUT_NS, TimeUnit.NANOSECONDS);
                }
            }
            finally
            {
                executor.shutdownNow();
            }
            assertEquals(List.of(5f, 7f, 9f), List.of(data[0][0], data[0][1], data[0][2]));
            assertEquals(List.of(5f, 7f, 9f), List.of(data[1][0], data[1][1], data[1][2]));
        }
        finally
        {
            closeConnected(outcomes);
        }
    }

    /**
     * Links that carry 40-byte messages (the handshake needs 36) and hold two unread messages per
     * direction still carry a 3 KB settings text (76 pieces) without stalling: ranks exchange one
     * piece per neighbour per round.
     */
    @Test
    void shouldExchangeLongSettingsOverTinyMessagesAndTwoMessageQueues() throws Exception
    {
        final int worldSize = 3;
        final List<Object> outcomes = connectAll(worldSize, rank -> context().sharedSettings(Map.of("job.data", "x".repeat(3000))),
            new InMemoryNetwork(worldSize, 40 + FrameHeaderFlyweight.HEADER_LENGTH, 2));
        try
        {
            outcomes.forEach(outcome -> assertInstanceOf(RingAllReduce.class, outcome, () -> String.valueOf(outcome)));
        }
        finally
        {
            closeConnected(outcomes);
        }
    }

    /**
     * Texts of very different lengths over two-message queues: past the end of the short texts, the rank with
     * the long one sends ahead under back-pressure while its neighbours read on, and the mismatch is reported,
     * not a timeout.
     */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void shouldReportTextsOfDifferentLengthsOverTwoMessageQueues(final int worldSize) throws Exception
    {
        final List<Object> outcomes = connectAll(worldSize, rank -> context().sharedSettings(Map.of("job.data",
            0 == rank ? "x".repeat(3000) : "y")), new InMemoryNetwork(worldSize, 40 + FrameHeaderFlyweight.HEADER_LENGTH, 2));
        try
        {
            final String rank0 = assertInstanceOf(RingSettingsMismatchException.class, outcomes.get(0),
                () -> String.valueOf(outcomes.get(0))).getMessage();
            assertTrue(rank0.contains("as rank 0 / rank 1: job.data = " + "x".repeat(3000) + " / y"), rank0);
            assertInstanceOf(RingSettingsMismatchException.class, outcomes.get(1), () -> String.valueOf(outcomes.get(1)));
        }
        finally
        {
            closeConnected(outcomes);
        }
    }

    /**
     * Ends whose links carry different largest messages (Aeron IPC terms of 64 KiB and 256 KiB: 8 KiB and
     * 32 KiB) cut a 12 KB text into pieces of the smaller and connect.
     */
    @Test
    void shouldCutTheTextForTheSmallerOfTheTwoEndsLargestMessages() throws Exception
    {
        final Map<String, String> shared = Map.of("job.data", "z".repeat(12_000));
        final ExecutorService executor = Executors.newFixedThreadPool(2);
        final List<Future<RingAllReduce>> connecting = new ArrayList<>();
        try
        {
            for (int r = 0; r < 2; r++)
            {
                final RingContext rankContext = RingTestSupport.context(TransportKind.IPC, 2).rank(r).sharedSecret(new byte[32])
                    .chunkLength(4096).termLength(0 == r ? 64 * 1024 : 256 * 1024).sharedSettings(shared);
                connecting.add(executor.submit(() -> Ring.connect(rankContext)));
            }
            final List<RingAllReduce> ranks = new ArrayList<>();
            try
            {
                for (final Future<RingAllReduce> rank : connecting)
                {
                    ranks.add(rank.get(RUN_TIMEOUT_NS, TimeUnit.NANOSECONDS));
                }
                assertTrue(ranks.get(0).next().maxMessageLength() < RingContext.MAX_RING_SETTINGS_BYTES &&
                    ranks.get(0).next().maxMessageLength() < ranks.get(1).next().maxMessageLength(), "premise: ends differ");
            }
            finally
            {
                ranks.forEach(CloseHelper::quietClose);
            }
        }
        finally
        {
            executor.shutdownNow();
        }
    }

    /**
     * The settings count in every link's ledger like the handshake, as online classical bits of their
     * frames (an 8-byte header, then the text in messages of at most the link's largest), never as payload.
     */
    @Test
    void shouldCountTheSettingsAsOnlineClassicalBitsNotPayload() throws Exception
    {
        final Map<String, String> longSettings = Map.of("job.data", "x".repeat(3000));
        final Map<String, long[]> shortBits = connectedLedgerBits(Map.of("job.data", "x"));
        final Map<String, long[]> longBits = connectedLedgerBits(longSettings);
        final int shortText = RingContext.ringSettingsText(new TreeMap<>(Map.of(RingContext.LINKS_SETTING, "classical",
            "job.data", "x"))).length;
        final int longText = shortText + 2999;
        final int largest = LINK_MESSAGE_BYTES;
        final long extraFrames = (longText + largest - 1) / largest - (shortText + largest - 1) / largest;
        assertTrue(extraFrames > 0, "premise: the long text takes more messages than the short one");
        assertEquals(4, longBits.size(), "both ranks' two links");
        for (final Map.Entry<String, long[]> link : longBits.entrySet())
        {
            assertEquals(0, link.getValue()[0], link.getKey() + ": payload bits");
            assertEquals(8L * (longText - shortText) + 8L * FrameHeaderFlyweight.HEADER_LENGTH * extraFrames,
                link.getValue()[1] - shortBits.get(link.getKey())[1], link.getKey() + ": online classical bits");
        }
    }

    @Test
    void shouldRoundTripTheSettingsTextAndRecogniseMalformedText()
    {
        final SortedMap<String, String> settings = new TreeMap<>(Map.of("a", "1=2", "b", "", "links", "quantum"));
        final byte[] text = RingContext.ringSettingsText(settings);
        assertEquals("a=1=2\nb=\nlinks=quantum\n", new String(text, StandardCharsets.UTF_8));
        assertEquals(settings, RingSettingsExchange.decode(new String(text, StandardCharsets.UTF_8)));
        assertEquals(new TreeMap<>(), RingSettingsExchange.decode(""));
        for (final String malformed : new String[] {"a=1", "=1\n", "a\n", "a=1\na=2\n", "a=1\n\n"})
        {
            assertNull(RingSettingsExchange.decode(malformed), malformed);
        }
    }

    /** @return per link of a freshly connected 2-rank ring: payload bits, then online classical bits. */
    private static Map<String, long[]> connectedLedgerBits(final Map<String, String> shared) throws Exception
    {
        final List<Object> outcomes = connectAll(2, rank -> context().sharedSettings(shared));
        try
        {
            final Map<String, long[]> bits = new TreeMap<>();
            for (final Object outcome : outcomes)
            {
                for (final LedgerSnapshot link : assertInstanceOf(RingAllReduce.class, outcome).linkLedgers())
                {
                    bits.put(link.link(), new long[] {link.get(LedgerCounter.PAYLOAD_BITS), link.get(LedgerCounter.ONLINE_CLASSICAL_BITS)});
                }
            }
            return bits;
        }
        finally
        {
            closeConnected(outcomes);
        }
    }

    private static RingContext context()
    {
        return RingTestSupport.context(TransportKind.IN_MEMORY, 2);
    }

    /**
     * Connects every rank of an in-memory ring at once, each with its own context.
     *
     * @return per rank, its {@link RingAllReduce} or what its connect threw.
     */
    private static List<Object> connectAll(final int worldSize, final IntFunction<RingContext> contexts) throws Exception
    {
        return connectAll(worldSize, contexts, new InMemoryNetwork(worldSize, LINK_MESSAGE_BYTES + FrameHeaderFlyweight.HEADER_LENGTH,
            InMemoryNetwork.DEFAULT_QUEUE_CAPACITY));
    }

    private static List<Object> connectAll(final int worldSize, final IntFunction<RingContext> contexts, final InMemoryNetwork network)
        throws Exception
    {
        final ExecutorService executor = Executors.newFixedThreadPool(worldSize);
        try
        {
            final List<Future<RingAllReduce>> connecting = new ArrayList<>(worldSize);
            for (int r = 0; r < worldSize; r++)
            {
                final RingContext rankContext = contexts.apply(r);
                rankContext.worldSize(worldSize).rank(r).sharedSecret(new byte[32]).inMemoryNetwork(network)
                    .chunkLength(Math.min(rankContext.chunkLength(), network.maxMessageLength() - FrameHeaderFlyweight.HEADER_LENGTH) & ~7);
                connecting.add(executor.submit(() -> Ring.connect(rankContext)));
            }
            final List<Object> outcomes = new ArrayList<>(worldSize);
            for (final Future<RingAllReduce> rank : connecting)
            {
                try
                {
                    outcomes.add(rank.get(RUN_TIMEOUT_NS, TimeUnit.NANOSECONDS));
                }
                catch (final ExecutionException ex)
                {
                    outcomes.add(ex.getCause());
                }
            }
            return outcomes;
        }
        finally
        {
            executor.shutdownNow();
        }
    }

    private static void closeConnected(final List<Object> outcomes)
    {
        for (final Object outcome : outcomes)
        {
            if (outcome instanceof RingAllReduce ring)
            {
                CloseHelper.quietClose(ring);
            }
        }
    }
}
