package io.qring.allreduce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qring.allreduce.config.NonFinitePolicy;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import io.qring.allreduce.link.DelegatingLink;
import io.qring.allreduce.link.FrameHeaderFlyweight;
import io.qring.allreduce.link.InMemoryNetwork;
import io.qring.allreduce.link.Link;
import io.qring.allreduce.link.LinkException;
import io.qring.allreduce.link.LinkTimeoutException;
import io.qring.allreduce.link.LinkWrapper;
import io.qring.allreduce.link.MessageHandler;
import io.qring.allreduce.link.PeerFailedException;
import io.qring.allreduce.quantum.QuantumLinkSettings;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static io.qring.allreduce.RingTestSupport.RUN_TIMEOUT_NS;
import static io.qring.allreduce.RingTestSupport.allReduceDoubles;
import static io.qring.allreduce.RingTestSupport.allReduceFloats;
import static io.qring.allreduce.RingTestSupport.assertDoubleResults;
import static io.qring.allreduce.RingTestSupport.assertFloatResults;
import static io.qring.allreduce.RingTestSupport.context;
import static io.qring.allreduce.RingTestSupport.elementsSentBy;
import static io.qring.allreduce.RingTestSupport.floats;
import static io.qring.allreduce.RingTestSupport.lengths;
import static io.qring.allreduce.RingTestSupport.rawBits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ring engine over in-memory links. */
class RingAllReduceTest
{
    private static final long SEED = 1234;

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 8})
    void shouldSumAndAverageEveryLengthBitIdenticallyWithinRounding(final int worldSize)
    {
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, worldSize).chunkLength(1024)))
        {
            for (final int length : lengths(worldSize))
            {
                for (final ReduceOp op : ReduceOp.values())
                {
                    assertFloatResults(allReduceFloats(ring, SEED + length, length, op), SEED + length, op);
                }
                assertDoubleResults(allReduceDoubles(ring, SEED - length, length, ReduceOp.SUM), SEED - length, ReduceOp.SUM);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 8})
    void shouldAllReduceOneMillionFloats(final int worldSize)
    {
        final int length = 1 << 20;
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, worldSize).chunkLength(64 * 1024)))
        {
            assertFloatResults(allReduceFloats(ring, SEED, length, ReduceOp.AVERAGE), SEED, ReduceOp.AVERAGE);
        }
    }

    @Test
    void shouldFormEachSumInTheDocumentedFixedOrder()
    {
        final int worldSize = 4;
        final int length = 4003;
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, worldSize).chunkLength(512)))
        {
            final float[] result = allReduceFloats(ring, SEED, length, ReduceOp.SUM).get(0);
            final float[][] inputs = new float[worldSize][];
            for (int r = 0; r < worldSize; r++)
            {
                inputs[r] = floats(SEED, r, length);
            }
            int mismatches = 0;
            int orderMatters = 0;
            for (int i = 0; i < length; i++)
            {
                final int segment = segmentOf(i, worldSize, length);
                float expected = inputs[segment][i];
                float otherOrder = inputs[worldSize - 1][i];
                for (int k = 1; k < worldSize; k++)
                {
                    expected += inputs[(segment + k) % worldSize][i];
                    otherOrder += inputs[worldSize - 1 - k][i];
                }
                mismatches += Float.floatToRawIntBits(expected) == Float.floatToRawIntBits(result[i]) ? 0 : 1;
                orderMatters += expected == otherOrder ? 0 : 1;
            }
            assertEquals(0, mismatches, "elements not summed as ((x_s + x_s+1) + x_s+2) + x_s+3");
            assertTrue(orderMatters > 100, "inputs must make the order visible, only " + orderMatters + " differ");
        }
    }

    /**
     * Sending ahead changes when chunks go, not what they carry: with any send-ahead every rank ends with
     * the lockstep ring's bits.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3})
    void shouldEndWithTheLockstepBitsWhateverTheSendAhead(final int sendAhead)
    {
        final int worldSize = 3;
        final int length = 4003;
        final List<float[]> lockstep;
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, worldSize).chunkLength(512).sendAhead(0)))
        {
            lockstep = allReduceFloats(ring, SEED, length, ReduceOp.AVERAGE);
        }
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, worldSize).chunkLength(512).sendAhead(sendAhead)))
        {
            for (final RingAllReduce rank : ring.ranks())
            {
                assertEquals(sendAhead, rank.sendAhead(), "rank " + rank.rank());
            }
            final List<float[]> results = allReduceFloats(ring, SEED, length, ReduceOp.AVERAGE);
            for (int r = 0; r < worldSize; r++)
            {
                assertArrayEquals(rawBits(lockstep.get(r)), rawBits(results.get(r)), "rank " + r);
            }
            final byte[][] gathered = ring.run(rank -> rank.allGather(new byte[1500 + rank.rank()]), RUN_TIMEOUT_NS).get(1);
            assertEquals(1502, gathered[2].length);
        }
    }

    /**
     * A rank sends ahead at most what its next link takes unreceived less two: in-memory queues of two
     * messages keep the ring in lockstep, queues of four allow two ahead; a quantum link takes what its
     * acknowledgement window lets through (window − window/2 + 1), so window 1 keeps lockstep and window 4
     * allows one ahead. Every such ring still sums exactly.
     */
    @Test
    void shouldSendAheadAtMostWhatTheNextLinkTakesUnreceivedLessTwo()
    {
        final int worldSize = 3;
        final int chunk = 512;
        for (final int[] queueAndAhead : new int[][] {{2, 0}, {4, 2}})
        {
            final InMemoryNetwork network = new InMemoryNetwork(worldSize, chunk + FrameHeaderFlyweight.HEADER_LENGTH, queueAndAhead[0]);
            try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, worldSize).chunkLength(chunk).sendAhead(8)
                .inMemoryNetwork(network)))
            {
                assertEquals(queueAndAhead[1], ring.ranks().get(0).sendAhead(), "queues of " + queueAndAhead[0]);
                assertFloatResults(allReduceFloats(ring, SEED, 4003, ReduceOp.SUM), SEED, ReduceOp.SUM);
            }
        }
        for (final int[] windowAndAhead : new int[][] {{1, 0}, {4, 1}, {16, 7}})
        {
            try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, worldSize).chunkLength(chunk).sendAhead(8)
                .linkWrapper(QuantumLinkSettings.builder().window(windowAndAhead[0]).build().wrapper())))
            {
                assertEquals(windowAndAhead[1], ring.ranks().get(0).sendAhead(), "quantum window " + windowAndAhead[0]);
                assertFloatResults(allReduceFloats(ring, SEED, 4003, ReduceOp.SUM), SEED, ReduceOp.SUM);
            }
        }
    }

    /**
     * Send-ahead never deadlocks, even on the smallest queues that allow it (capacity = send-ahead + 2):
     * rings of 2, 3 and 5 ranks run seeded all-gathers whose ranks send very different numbers of chunks
     * (none to 6), and all-reduces of lengths around the chunk and segment boundaries, with every
     * result checked.
     */
    @Test
    void shouldNeverDeadlockOnTheSmallestQueuesThatAllowEachSendAhead()
    {
        final int chunk = 256;
        final SplittableRandom random = new SplittableRandom(SEED);
        for (final int sendAhead : new int[] {1, 2, 3})
        {
            for (final int worldSize : new int[] {2, 3, 5})
            {
                final InMemoryNetwork network = new InMemoryNetwork(worldSize, chunk + FrameHeaderFlyweight.HEADER_LENGTH, sendAhead + 2);
                try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, worldSize).chunkLength(chunk)
                    .sendAhead(sendAhead).inMemoryNetwork(network)))
                {
                    assertEquals(sendAhead, ring.ranks().get(0).sendAhead());
                    for (int round = 0; round < 3; round++)
                    {
                        final int[] lengths = random.ints(worldSize, 0, 6 * chunk + 1).toArray();
                        final List<byte[][]> gathered = ring.run(rank -> rank.allGather(message(rank.rank(), lengths[rank.rank()])),
                            RUN_TIMEOUT_NS);
                        for (int r = 0; r < worldSize; r++)
                        {
                            for (int from = 0; from < worldSize; from++)
                            {
                                assertArrayEquals(message(from, lengths[from]), gathered.get(r)[from],
                                    "send-ahead " + sendAhead + ", " + worldSize + " ranks, rank " + r + " message " + from);
                            }
                        }
                    }
                    final int floatsPerChunk = chunk / Float.BYTES;
                    for (final int length : new int[] {1, worldSize, floatsPerChunk * worldSize + 1, 3 * floatsPerChunk * worldSize - 1})
                    {
                        assertFloatResults(allReduceFloats(ring, SEED + length, length, ReduceOp.SUM), SEED + length, ReduceOp.SUM);
                    }
                }
            }
        }
    }

    @Test
    void shouldCountTheEnginesMessagesOnEveryLinkOnePerLockstepRound()
    {
        final int worldSize = 4;
        final int length = 4003;
        final int chunkFloats = 128;
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, worldSize).chunkLength(chunkFloats * Float.BYTES)))
        {
            allReduceFloats(ring, SEED, length, ReduceOp.SUM);
            final long rounds = (worldSize - 1) + 2L * (worldSize - 1) * RingAllReduce.chunks((length + worldSize - 1) / worldSize, chunkFloats);
            assertEquals(51, rounds, "segments of 1000 and 1001 floats take 8 chunks of 128 each");
            for (final RingAllReduce rank : ring.ranks())
            {
                assertEquals(rounds, rank.lastOperationLedgers().get(0).get(LedgerCounter.MESSAGES), "next link of rank " + rank.rank());
                assertEquals(0, rank.lastOperationLedgers().get(1).get(LedgerCounter.MESSAGES), "a receiving end counts none");
            }
        }
    }

    @Test
    void shouldAllGatherVariableLengthMessagesEachCrossingEveryLinkOnce()
    {
        final int worldSize = 3;
        final int[] lengths = {0, 5000, 17};
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, worldSize).chunkLength(1024)))
        {
            final List<byte[][]> gathered = ring.run(rank -> rank.allGather(message(rank.rank(), lengths[rank.rank()])),
                RUN_TIMEOUT_NS);
            long payloadBits = 0;
            for (int r = 0; r < worldSize; r++)
            {
                for (int from = 0; from < worldSize; from++)
                {
                    assertArrayEquals(message(from, lengths[from]), gathered.get(r)[from], "rank " + r + " message " + from);
                }
                payloadBits += ring.rank(r).lastOperationLedgers().get(0).get(LedgerCounter.PAYLOAD_BITS);
                assertEquals(0, ring.rank(r).lastOperationLedgers().get(1).get(LedgerCounter.PAYLOAD_BITS));
            }
            final long descriptorBits = (long)worldSize * (worldSize - 1) * 8 * RingAllReduce.DESCRIPTOR_LENGTH;
            assertEquals((worldSize - 1) * 8L * (0 + 5000 + 17) + descriptorBits, payloadBits);
        }
    }

    @Test
    void shouldRejectMismatchedLengthsOnEveryRankBeforeDataMovesAndStayUsable()
    {
        final int worldSize = 3;
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, worldSize)))
        {
            final List<LocalRing.Outcome<float[]>> outcomes = ring.runEach(rank ->
            {
                final float[] data = floats(SEED, rank.rank(), 2 == rank.rank() ? 99 : 100);
                rank.allReduce(data, ReduceOp.SUM);
                return data;
            }, RUN_TIMEOUT_NS);
            for (final LocalRing.Outcome<float[]> outcome : outcomes)
            {
                final CollectiveMismatchException ex = assertInstanceOf(CollectiveMismatchException.class, outcome.failure());
                assertTrue(ex.getMessage().contains("rank 0 called allReduce(float[100], SUM)") &&
                    ex.getMessage().contains("rank 2 called allReduce(float[99], SUM)"), ex.getMessage());
                assertEquals(0, ring.rank(outcome.rank()).lastOperationLedgers().get(0).get(LedgerCounter.PAYLOAD_BITS) -
                    (worldSize - 1) * 8L * RingAllReduce.DESCRIPTOR_LENGTH, "only descriptors moved");
            }
            final List<LocalRing.Outcome<Object>> typeMismatch = ring.runEach(rank ->
            {
                if (0 == rank.rank())
                {
                    rank.allReduce(new double[10], ReduceOp.SUM);
                }
                else
                {
                    rank.allReduce(new float[10], ReduceOp.SUM);
                }
                return null;
            }, RUN_TIMEOUT_NS);
            for (final LocalRing.Outcome<Object> outcome : typeMismatch)
            {
                assertTrue(outcome.failure().getMessage().contains("allReduce(double[10], SUM)"), outcome.failure().getMessage());
            }
            final List<LocalRing.Outcome<Object>> gatherMismatch = ring.runEach(rank ->
                0 == rank.rank() ? rank.gatherRingLedgers() : rank.allGather(new byte[100]), RUN_TIMEOUT_NS);
            for (final LocalRing.Outcome<Object> outcome : gatherMismatch)
            {
                final CollectiveMismatchException ex = assertInstanceOf(CollectiveMismatchException.class, outcome.failure());
                assertTrue(ex.getMessage().contains("called gatherRingLedgers()") && ex.getMessage().contains("called allGather(byte[100])"),
                    ex.getMessage());
            }
            assertFloatResults(allReduceFloats(ring, SEED, 1000, ReduceOp.AVERAGE), SEED, ReduceOp.AVERAGE);
        }
    }

    @Test
    void shouldRejectNullArgumentsOnTheCallingRankWithoutCountingACollective()
    {
        final int worldSize = 3;
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, worldSize)))
        {
            final RingAllReduce rank0 = ring.rank(0);
            assertTrue(assertThrows(NullPointerException.class, () -> rank0.allReduce((float[])null, ReduceOp.SUM))
                .getMessage().contains("allReduce needs an array"));
            assertTrue(assertThrows(NullPointerException.class, () -> rank0.allReduce((double[])null, ReduceOp.SUM))
                .getMessage().contains("allReduce needs an array"));
            assertTrue(assertThrows(NullPointerException.class, () -> rank0.allReduce(new float[4], null))
                .getMessage().contains("allReduce needs a ReduceOp"));
            assertTrue(assertThrows(NullPointerException.class, () -> rank0.allGather(null))
                .getMessage().contains("allGather needs a byte array"));
            assertFloatResults(allReduceFloats(ring, SEED, 1000, ReduceOp.SUM), SEED, ReduceOp.SUM);
            assertFloatResults(allReduceFloats(ring, SEED, 1000, ReduceOp.AVERAGE), SEED, ReduceOp.AVERAGE);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"IN_MEMORY", "IPC"})
    void shouldStartAndRunWithAnUnboundedConnectTimeout(final TransportKind transport)
    {
        try (LocalRing ring = LocalRing.start(context(transport, 2).connectTimeoutNs(Long.MAX_VALUE)))
        {
            assertFloatResults(allReduceFloats(ring, SEED, 100, ReduceOp.SUM), SEED, ReduceOp.SUM);
        }
    }

    @Test
    void shouldRejectNonFiniteInputOnEveryRankNamingRankAndIndex()
    {
        final int worldSize = 4;
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, worldSize)))
        {
            final List<LocalRing.Outcome<float[]>> outcomes = ring.runEach(rank ->
            {
                final float[] data = floats(SEED, rank.rank(), 64);
                if (2 == rank.rank())
                {
                    data[17] = Float.NaN;
                }
                if (3 == rank.rank())
                {
                    data[30] = Float.NEGATIVE_INFINITY;
                    data[40] = Float.NaN;
                }
                try
                {
                    rank.allReduce(data, ReduceOp.SUM);
                }
                finally
                {
                    final float[] untouched = floats(SEED, rank.rank(), 64);
                    for (int i = 0; i < 64; i++)
                    {
                        if (Float.isFinite(data[i]))
                        {
                            assertEquals(untouched[i], data[i], "input changed although no data moved");
                        }
                    }
                }
                return data;
            }, RUN_TIMEOUT_NS);
            for (final LocalRing.Outcome<float[]> outcome : outcomes)
            {
                final NonFiniteValueException ex = assertInstanceOf(NonFiniteValueException.class, outcome.failure());
                assertEquals(2, ex.offendingRank());
                assertEquals(17, ex.index());
                assertTrue(Double.isNaN(ex.value()));
                assertTrue(ex.getMessage().contains("rank 2 holds NaN at index 17"), ex.getMessage());
            }
            assertFloatResults(allReduceFloats(ring, SEED, 64, ReduceOp.SUM), SEED, ReduceOp.SUM);
        }
    }

    /**
     * A collective rejected before data moved still flushes its links; if that flush fails (a quantum
     * sender whose neighbour never acknowledged, say), the links may no longer agree on what they hold,
     * so the ring fails with the flush's error, the rejection attached, and refuses later collectives.
     */
    @Test
    void shouldFailTheRingWhenTheFlushAfterARejectedCollectiveFails()
    {
        final LinkWrapper failingFlush = new LinkWrapper()
        {
            @Override
            public Link wrapNext(final Link link, final int selfRank, final int nextRank)
            {
                return selfRank != 1 ? link : new DelegatingLink(link)
                {
                    @Override
                    public void flush(final long deadlineNanos)
                    {
                        throw new LinkTimeoutException(peerName(), "simulated: no acknowledgement by the deadline");
                    }
                };
            }

            @Override
            public Link wrapPrevious(final Link link, final int selfRank, final int previousRank)
            {
                return link;
            }
        };
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, 3).linkWrapper(failingFlush)))
        {
            final List<LocalRing.Outcome<float[]>> outcomes = ring.runEach(rank ->
            {
                final float[] data = floats(SEED, rank.rank(), 64);
                data[5] = Float.NaN;
                rank.allReduce(data, ReduceOp.SUM);
                return data;
            }, RUN_TIMEOUT_NS);

            final LinkTimeoutException failed = assertInstanceOf(LinkTimeoutException.class, outcomes.get(1).failure());
            assertTrue(failed.getMessage().contains("no acknowledgement by the deadline"), failed.getMessage());
            assertInstanceOf(NonFiniteValueException.class, failed.getSuppressed()[0]);
            assertInstanceOf(NonFiniteValueException.class, outcomes.get(0).failure());
            final RuntimeException later = assertThrows(RuntimeException.class,
                () -> ring.rank(1).allReduce(floats(SEED, 1, 64), ReduceOp.SUM));
            assertTrue(later.getMessage().contains("no acknowledgement by the deadline"), later.getMessage());
        }
    }

    /**
     * An {@link Error} in the middle of a collective (here an injected OutOfMemoryError on rank 0's second
     * receive) fails the ring like a link failure: the neighbours learn why at once instead of timing out,
     * and rank 0's ring is unusable afterwards.
     */
    @Test
    void shouldFailTheRingAndTellTheNeighboursWhenAnErrorInterruptsACollective()
    {
        final LinkWrapper failingReceive = new LinkWrapper()
        {
            @Override
            public Link wrapNext(final Link link, final int selfRank, final int nextRank)
            {
                return link;
            }

            @Override
            public Link wrapPrevious(final Link link, final int selfRank, final int previousRank)
            {
                return selfRank != 0 ? link : new DelegatingLink(link)
                {
                    private int receives;

                    @Override
                    public void receive(final MessageHandler handler, final long deadlineNanos)
                    {
                        if (++receives == 2)
                        {
                            throw new OutOfMemoryError("injected");
                        }
                        delegate.receive(handler, deadlineNanos);
                    }
                };
            }
        };
        final long operationTimeoutNs = TimeUnit.SECONDS.toNanos(20);
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, 3).operationTimeoutNs(operationTimeoutNs)
            .linkWrapper(failingReceive)))
        {
            final List<LocalRing.Outcome<float[]>> outcomes = ring.runEach(rank ->
            {
                final float[] data = floats(SEED, rank.rank(), 3000);
                rank.allReduce(data, ReduceOp.SUM);
                return data;
            }, RUN_TIMEOUT_NS);

            assertInstanceOf(OutOfMemoryError.class, outcomes.get(0).failure());
            for (final int neighbour : new int[] {1, 2})
            {
                final Throwable failure = outcomes.get(neighbour).failure();
                assertInstanceOf(PeerFailedException.class, failure, "rank " + neighbour);
                assertTrue(failure.getMessage().contains("OutOfMemoryError: injected"), failure.getMessage());
                assertTrue(outcomes.get(neighbour).elapsedNs() < operationTimeoutNs / 2, "rank " + neighbour + " did not wait out a timeout");
            }
            final IllegalStateException later = assertThrows(IllegalStateException.class,
                () -> ring.rank(0).allReduce(floats(SEED, 0, 3000), ReduceOp.SUM));
            assertTrue(later.getMessage().contains("unusable after an earlier failure"), later.getMessage());
        }
    }

    @Test
    void shouldPropagateNonFiniteValuesWhenConfigured()
    {
        final int worldSize = 3;
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, worldSize).nonFinitePolicy(NonFinitePolicy.PROPAGATE)))
        {
            final List<double[]> results = ring.run(rank ->
            {
                final double[] data = new double[10];
                Arrays.fill(data, rank.rank() + 1.0);
                if (1 == rank.rank())
                {
                    data[3] = Double.NaN;
                    data[4] = Double.POSITIVE_INFINITY;
                }
                rank.allReduce(data, ReduceOp.SUM);
                return data;
            }, RUN_TIMEOUT_NS);
            for (final double[] result : results)
            {
                assertTrue(Double.isNaN(result[3]));
                assertEquals(Double.POSITIVE_INFINITY, result[4]);
                assertEquals(6.0, result[0]);
                assertArrayEquals(RingTestSupport.rawBits(results.get(0)), RingTestSupport.rawBits(result));
            }
        }
    }

    @Test
    void shouldRejectDifferentNonFinitePoliciesOnEveryRankBeforeDataMoves() throws Exception
    {
        final int worldSize = 3;
        final int length = 64;
        final NonFinitePolicy[] policies = {NonFinitePolicy.REJECT, NonFinitePolicy.PROPAGATE, NonFinitePolicy.REJECT};
        final ExecutorService executor = Executors.newFixedThreadPool(worldSize);
        final List<RingAllReduce> ranks = new ArrayList<>(worldSize);
        try
        {
            ranks.addAll(connect(context(TransportKind.IN_MEMORY, worldSize), policies, executor));
            final List<Future<Throwable>> calls = new ArrayList<>(worldSize);
            for (final RingAllReduce rank : ranks)
            {
                calls.add(executor.submit(() ->
                {
                    final float[] data = floats(SEED, rank.rank(), length);
                    if (1 == rank.rank())
                    {
                        data[7] = Float.NaN;
                    }
                    final int[] input = RingTestSupport.rawBits(data);
                    try
                    {
                        rank.allReduce(data, ReduceOp.SUM);
                        return null;
                    }
                    catch (final RuntimeException ex)
                    {
                        assertArrayEquals(input, RingTestSupport.rawBits(data), "input of rank " + rank.rank() + " changed");
                        return ex;
                    }
                }));
            }
            for (int r = 0; r < worldSize; r++)
            {
                final Throwable failure = calls.get(r).get(RUN_TIMEOUT_NS, TimeUnit.NANOSECONDS);
                final CollectiveMismatchException ex = assertInstanceOf(CollectiveMismatchException.class, failure,
                    "rank " + r + " must fail before any data moves, not end with NaN");
                assertTrue(ex.getMessage().contains("rank 0 uses REJECT") && ex.getMessage().contains("rank 1 uses PROPAGATE"),
                    ex.getMessage());
                assertEquals(0, ranks.get(r).lastOperationLedgers().get(0).get(LedgerCounter.PAYLOAD_BITS) -
                    (worldSize - 1) * 8L * RingAllReduce.DESCRIPTOR_LENGTH, "only descriptors moved");
            }
            final List<Future<byte[][]>> gathers = new ArrayList<>(worldSize);
            for (final RingAllReduce rank : ranks)
            {
                gathers.add(executor.submit(() -> rank.allGather(message(rank.rank(), 10))));
            }
            for (final Future<byte[][]> gather : gathers)
            {
                assertArrayEquals(message(2, 10), gather.get(RUN_TIMEOUT_NS, TimeUnit.NANOSECONDS)[2], "ring stays usable");
            }
        }
        finally
        {
            ranks.forEach(CloseHelper::quietClose);
            executor.shutdownNow();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {12_000, 12_001})
    void shouldSendTwoTimesNMinusOneOverNOfThePayloadPerRank(final int length)
    {
        final int worldSize = 4;
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, worldSize).chunkLength(4096)))
        {
            allReduceFloats(ring, SEED, length, ReduceOp.SUM);
            assertPerRankPayload(ring, length, Float.BYTES, 4096);
        }
    }

    @Test
    void shouldHandEachRanksLinksToTheWrapperAndUseWhatItReturns()
    {
        final int worldSize = 3;
        final ConcurrentHashMap<String, AtomicInteger> sends = new ConcurrentHashMap<>();
        final List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());
        final LinkWrapper counting = new LinkWrapper()
        {
            @Override
            public Link wrapNext(final Link link, final int selfRank, final int nextRank)
            {
                calls.add("next " + selfRank + "->" + nextRank + " " + link.peerRank());
                return new CountingLink(link, sends.computeIfAbsent(selfRank + "->" + nextRank, k -> new AtomicInteger()));
            }

            @Override
            public Link wrapPrevious(final Link link, final int selfRank, final int previousRank)
            {
                calls.add("previous " + selfRank + "->" + previousRank + " " + link.peerRank());
                return new CountingLink(link, sends.computeIfAbsent(selfRank + "<-" + previousRank, k -> new AtomicInteger()));
            }
        };
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, worldSize).linkWrapper(counting)))
        {
            assertFloatResults(allReduceFloats(ring, SEED, 999, ReduceOp.SUM), SEED, ReduceOp.SUM);
            assertEquals(List.of("next 0->1 1", "next 1->2 2", "next 2->0 0", "previous 0->2 2", "previous 1->0 0",
                "previous 2->1 1"), calls.stream().sorted().toList());
            for (int r = 0; r < worldSize; r++)
            {
                assertInstanceOf(CountingLink.class, ring.rank(r).next());
                assertEquals(3 * (worldSize - 1), sends.get(r + "->" + (r + 1) % worldSize).get(), "N-1 descriptors + 2(N-1) chunks");
                assertEquals(0, sends.get(r + "<-" + (r + 2) % worldSize).get());
            }
        }
    }

    @Test
    void shouldFailEveryOtherRankNamingTheKilledPeerWithinTheTimeout()
    {
        final int worldSize = 4;
        final int victim = 2;
        final long timeoutNs = TimeUnit.SECONDS.toNanos(3);
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, worldSize).chunkLength(1024)
            .operationTimeoutNs(timeoutNs).linkWrapper(new CrashingWrapper(victim, 5))))
        {
            final List<LocalRing.Outcome<float[]>> outcomes = ring.runEach(rank ->
            {
                final float[] data = floats(SEED, rank.rank(), 50_000);
                rank.allReduce(data, ReduceOp.SUM);
                return data;
            }, RUN_TIMEOUT_NS);
            assertKilledPeerReported(outcomes, victim, timeoutNs);
            final IllegalStateException unusable = assertThrows(IllegalStateException.class,
                () -> ring.rank(0).allReduce(new float[1], ReduceOp.SUM));
            assertTrue(unusable.getMessage().contains("earlier failure"), unusable.getMessage());
        }
    }

    @Test
    void shouldNameGatherRingLedgersWhenAPeerDiesDuringIt()
    {
        final int worldSize = 3;
        final int victim = 1;
        final long timeoutNs = TimeUnit.SECONDS.toNanos(3);
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, worldSize).operationTimeoutNs(timeoutNs)
            .linkWrapper(new CrashingWrapper(victim, 1))))
        {
            final List<LocalRing.Outcome<RingAllReduce.RingLedgers>> outcomes = ring.runEach(RingAllReduce::gatherRingLedgers,
                RUN_TIMEOUT_NS);
            for (final LocalRing.Outcome<RingAllReduce.RingLedgers> outcome : outcomes)
            {
                assertNotNull(outcome.failure(), "rank " + outcome.rank() + " must fail");
                if (outcome.rank() != victim)
                {
                    final String message = outcome.failure().getMessage();
                    assertTrue(message.contains("rank " + victim + " (") && message.contains("gatherRingLedgers() #1") &&
                        !message.contains("allGather"), "rank " + outcome.rank() + ": " + message);
                }
            }
        }
    }

    @Test
    void shouldGatherBothLedgerViewsOfEveryDirectedLinkWithoutReplacingTheLastOperation() throws Exception
    {
        final int worldSize = 3;
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, worldSize)))
        {
            final List<LedgerSnapshot> connected = ownLedgers(ring, RingAllReduce::linkLedgers);
            allReduceFloats(ring, SEED, 3000, ReduceOp.SUM);
            final List<LedgerSnapshot> first = ownLedgers(ring, RingAllReduce::lastOperationLedgers);
            allReduceDoubles(ring, SEED, 1001, ReduceOp.AVERAGE);
            final List<LedgerSnapshot> second = ownLedgers(ring, RingAllReduce::lastOperationLedgers);
            final List<LedgerSnapshot> cumulative = ownLedgers(ring, RingAllReduce::linkLedgers);
            final List<RingAllReduce.RingLedgers> gathered = ring.run(RingAllReduce::gatherRingLedgers, RUN_TIMEOUT_NS);
            assertEquals(List.of("0->1", "0->2 (return)", "1->2", "1->0 (return)", "2->0", "2->1 (return)"),
                second.stream().map(LedgerSnapshot::link).toList());
            for (final RingAllReduce.RingLedgers view : gathered)
            {
                assertEquals(second, view.lastOperation());
                assertEquals(cumulative, view.cumulative());
                for (int i = 0; i < 2 * worldSize; i++)
                {
                    assertEquals(LedgerSnapshot.merge("sum", List.of(connected.get(i), first.get(i), second.get(i))).counts(),
                        view.cumulative().get(i).counts(), "authentication + both all-reduces on " + second.get(i).link());
                }
            }
            assertEquals(second, ownLedgers(ring, RingAllReduce::lastOperationLedgers), "the gather replaced the last operation");
            final long descriptorBits = worldSize * (worldSize - 1) * 8L * RingAllReduce.DESCRIPTOR_LENGTH;
            assertEquals(2L * (worldSize - 1) * 1001 * 64 + descriptorBits,
                LedgerSnapshot.merge("ring", gathered.get(1).lastOperation()).get(LedgerCounter.PAYLOAD_BITS));
            final JsonNode json = new ObjectMapper().readTree(gathered.get(2).toJson());
            assertEquals(2 * worldSize, json.get("cumulative").size());
            assertEquals("1->2", json.get("lastOperation").get(2).get("link").asText());
            assertEquals(second.get(2).get(LedgerCounter.PAYLOAD_BITS), json.get("lastOperation").get(2).get("payloadBits").asLong());
            assertEquals(second, ring.run(RingAllReduce::gatherRingLedgers, RUN_TIMEOUT_NS).get(0).lastOperation());
        }
    }

    static void assertPerRankPayload(final LocalRing ring, final int length, final int elementBytes, final int chunkLength)
    {
        final int worldSize = ring.worldSize();
        final long descriptorBits = (worldSize - 1) * 8L * RingAllReduce.DESCRIPTOR_LENGTH;
        long total = 0;
        for (int r = 0; r < worldSize; r++)
        {
            final LedgerSnapshot next = ring.rank(r).lastOperationLedgers().get(0);
            final LedgerSnapshot previous = ring.rank(r).lastOperationLedgers().get(1);
            final long elements = elementsSentBy(r, worldSize, length);
            if (length % worldSize == 0)
            {
                assertEquals(2L * (worldSize - 1) * length / worldSize, elements);
            }
            assertEquals(8L * elementBytes * elements + descriptorBits, next.get(LedgerCounter.PAYLOAD_BITS), "rank " + r);
            final int chunkElements = chunkLength / elementBytes;
            long messages = worldSize - 1;
            for (int t = 0; t < worldSize - 1; t++)
            {
                messages += chunks(RingTestSupport.segmentLength(Math.floorMod(r - t, worldSize), worldSize, length), chunkElements);
                messages += chunks(RingTestSupport.segmentLength(Math.floorMod(r + 1 - t, worldSize), worldSize, length),
                    chunkElements);
            }
            assertEquals(next.get(LedgerCounter.PAYLOAD_BITS) + messages * 8L * FrameHeaderFlyweight.HEADER_LENGTH,
                next.get(LedgerCounter.ONLINE_CLASSICAL_BITS), "rank " + r + " header bits");
            assertEquals(0, previous.get(LedgerCounter.PAYLOAD_BITS));
            assertEquals(0, previous.get(LedgerCounter.ONLINE_CLASSICAL_BITS));
            total += next.get(LedgerCounter.PAYLOAD_BITS) - descriptorBits;
        }
        assertEquals(2L * (worldSize - 1) * length * 8 * elementBytes, total, "ring total 2(N-1)M elements");
    }

    static void assertKilledPeerReported(
        final List<LocalRing.Outcome<float[]>> outcomes, final int victim, final long timeoutNs)
    {
        for (final LocalRing.Outcome<float[]> outcome : outcomes)
        {
            assertNull(outcome.value(), "rank " + outcome.rank() + " must fail");
            assertNotNull(outcome.failure());
            if (outcome.rank() == victim)
            {
                continue;
            }
            final LinkException ex = assertInstanceOf(LinkException.class, outcome.failure(),
                () -> "rank " + outcome.rank() + ": " + outcome.failure());
            assertTrue(ex.getMessage().contains("rank " + victim + " ("), "rank " + outcome.rank() + ": " + ex.getMessage());
            assertTrue(outcome.elapsedNs() < timeoutNs + TimeUnit.SECONDS.toNanos(2),
                "rank " + outcome.rank() + " took " + outcome.elapsedNs() / 1_000_000 + " ms");
        }
    }

    /** Connects an in-memory ring whose ranks differ in their non-finite policy (LocalRing shares one context). */
    private static List<RingAllReduce> connect(
        final RingContext template, final NonFinitePolicy[] policies, final ExecutorService executor) throws Exception
    {
        final int worldSize = template.worldSize();
        final RingContext shared = template.copy().sharedSecret(new byte[32]).inMemoryNetwork(new InMemoryNetwork(
            worldSize, template.chunkLength() + FrameHeaderFlyweight.HEADER_LENGTH, InMemoryNetwork.DEFAULT_QUEUE_CAPACITY));
        final List<Future<RingAllReduce>> connecting = new ArrayList<>(worldSize);
        for (int r = 0; r < worldSize; r++)
        {
            final RingContext rankContext = shared.copy().rank(r).nonFinitePolicy(policies[r]);
            connecting.add(executor.submit(() -> Ring.connect(rankContext)));
        }
        final List<RingAllReduce> ranks = new ArrayList<>(worldSize);
        for (final Future<RingAllReduce> rank : connecting)
        {
            ranks.add(rank.get(RUN_TIMEOUT_NS, TimeUnit.NANOSECONDS));
        }
        return ranks;
    }

    /** Every rank's own two snapshots, rank by rank, as the ranks report them locally. */
    private static List<LedgerSnapshot> ownLedgers(final LocalRing ring, final Function<RingAllReduce, List<LedgerSnapshot>> view)
    {
        final List<LedgerSnapshot> snapshots = new ArrayList<>();
        for (final RingAllReduce rank : ring.ranks())
        {
            snapshots.addAll(view.apply(rank));
        }
        return snapshots;
    }

    private static int chunks(final int length, final int chunk)
    {
        return (length + chunk - 1) / chunk;
    }

    private static int segmentOf(final int index, final int worldSize, final int length)
    {
        int start = 0;
        for (int s = 0; s < worldSize; s++)
        {
            start += RingTestSupport.segmentLength(s, worldSize, length);
            if (index < start)
            {
                return s;
            }
        }
        throw new IllegalArgumentException("index " + index);
    }

    private static byte[] message(final int rank, final int length)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(rank * 31 + i);
        }
        return bytes;
    }

    /** Counts sends through a link. */
    static final class CountingLink extends DelegatingLink
    {
        private final AtomicInteger sends;

        CountingLink(final Link delegate, final AtomicInteger sends)
        {
            super(delegate);
            this.sends = sends;
        }

        @Override
        public void send(final DirectBuffer buffer, final int offset, final int length, final long deadlineNanos)
        {
            sends.incrementAndGet();
            super.send(buffer, offset, length, deadlineNanos);
        }
    }

    /**
     * Simulates a crash of one rank mid all-reduce: after {@code sendsBeforeCrash} sends on its next link
     * it closes both of its links without aborting, and its own call fails.
     */
    static final class CrashingWrapper implements LinkWrapper
    {
        private final int victim;
        private final int sendsBeforeCrash;
        private volatile Link victimPrevious;

        CrashingWrapper(final int victim, final int sendsBeforeCrash)
        {
            this.victim = victim;
            this.sendsBeforeCrash = sendsBeforeCrash;
        }

        @Override
        public Link wrapNext(final Link link, final int selfRank, final int nextRank)
        {
            if (selfRank != victim)
            {
                return link;
            }
            return new DelegatingLink(link)
            {
                private int sends;

                @Override
                public void send(final DirectBuffer buffer, final int offset, final int length, final long deadlineNanos)
                {
                    if (++sends > sendsBeforeCrash)
                    {
                        delegate.close();
                        victimPrevious.close();
                        throw new IllegalStateException("simulated crash of rank " + victim);
                    }
                    super.send(buffer, offset, length, deadlineNanos);
                }

                @Override
                public void abort(final String reason)
                {
                }
            };
        }

        @Override
        public Link wrapPrevious(final Link link, final int selfRank, final int previousRank)
        {
            if (selfRank != victim)
            {
                return link;
            }
            victimPrevious = link;
            return new DelegatingLink(link)
            {
                @Override
                public void abort(final String reason)
                {
                }
            };
        }
    }
}
