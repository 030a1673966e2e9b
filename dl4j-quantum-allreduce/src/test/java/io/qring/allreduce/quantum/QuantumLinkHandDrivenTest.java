package io.qring.allreduce.quantum;

import io.qring.allreduce.LocalRing;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import io.qring.allreduce.link.AuthenticatedLink;
import io.qring.allreduce.link.FrameHeaderFlyweight;
import io.qring.allreduce.link.InMemoryNetwork;
import io.qring.allreduce.link.Link;
import io.qring.allreduce.link.LinkClosedException;
import io.qring.allreduce.link.LinkTimeoutException;
import io.qring.allreduce.link.LinkWrapper;
import io.qring.allreduce.link.MessageHandler;
import io.qring.channel.codec.SuperdenseEncoder;
import io.qring.channel.codec.SuperdenseFrameException;
import io.qring.channel.codec.SuperdenseFrameHeader;
import io.qring.channel.epr.EprPool;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LinkLedger;
import io.qring.channel.noise.PauliChannel;
import io.qring.channel.verify.InterceptResendEavesdropper;
import io.qring.channel.verify.QberVerifier;
import io.qring.channel.verify.VerificationResult;
import io.qring.channel.verify.VerificationSettings;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One end of a quantum link against hand-made frames. Two in-memory ranks whose queues hold two
 * messages each; the test plays the classical far end of one quantum link.
 * <ul>
 *   <li>Every wait has a deadline: a send or receive never outlasts its caller's, and the link's own
 *       repair and control sends give up after {@link QuantumLinkSettings#controlTimeoutNs()}, failing
 *       the link with an error naming the peer. The far end stops reading at a chosen moment, so a
 *       transport that no longer takes frames is reproduced exactly.</li>
 *   <li>A receiver applies a {@link QuantumFrame#REBLOCK}: it checks what it holds against the new
 *       blocks' checksums and asks for exactly the new blocks that fail; one that does not tile the
 *       message is a protocol error.</li>
 * </ul>
 */
class QuantumLinkHandDrivenTest
{
    private static final int CHUNK_LENGTH = 16 * 1024;
    private static final int QUEUE_CAPACITY = 2;
    private static final int MESSAGE_LENGTH = 1024;
    /**
     * Longer than {@link #CALL_BUDGET_NS} twice plus {@link #SLACK_NS}, so that a call that waits out the
     * control timeout instead of its own deadline fails the test.
     */
    private static final long CONTROL_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(3);
    private static final long CALL_BUDGET_NS = TimeUnit.MILLISECONDS.toNanos(500);
    /** Scheduling slack on a shared 2-core machine, on top of a deadline. */
    private static final long SLACK_NS = TimeUnit.SECONDS.toNanos(1);
    /** Longer than {@link #CONTROL_TIMEOUT_NS} plus {@link #SLACK_NS}, so that a repair that never gives up fails the test. */
    private static final long GENEROUS_NS = TimeUnit.SECONDS.toNanos(5);
    /** Bound on a call that must fail at once rather than wait out its {@link #GENEROUS_NS} deadline: half of it. */
    private static final long AT_ONCE_NS = GENEROUS_NS / 2;
    private static final MessageHandler IGNORE = (buffer, offset, length) -> { };

    @Test
    void shouldFailASendWithinItsDeadlineWhileARepairIsStuckAndThenFailTheLinkNamingThePeer()
    {
        final QuantumLinkSettings settings = QuantumLinkSettings.builder().blockLength(MESSAGE_LENGTH)
            .controlTimeoutNs(CONTROL_TIMEOUT_NS).build();
        try (LocalRing ring = LocalRing.start(context(quantumOn(settings, true))))
        {
            final Link sender = ring.rank(0).next();
            final long repairStarted = stickARepair(sender, ring.rank(1).previous());

            final long start = System.nanoTime();
            final LinkTimeoutException timeout = assertThrows(LinkTimeoutException.class,
                () -> sender.send(message(), 0, MESSAGE_LENGTH, start + CALL_BUDGET_NS));
            final long sendNs = System.nanoTime() - start;
            assertTrue(sendNs < CALL_BUDGET_NS + SLACK_NS, "the send waited " + millis(sendNs) + " ms for a " +
                millis(CALL_BUDGET_NS) + " ms deadline: " + timeout.getMessage());
            assertEquals(sender.peerName(), timeout.peerName());
            assertTrue(timeout.getMessage().contains("resending 1 corrupted blocks of frame 0"), timeout.getMessage());

            final LinkTimeoutException failed = assertThrows(LinkTimeoutException.class,
                () -> sender.send(message(), 0, MESSAGE_LENGTH, System.nanoTime() + GENEROUS_NS));
            final long failedNs = System.nanoTime() - repairStarted;
            assertTrue(failedNs < CONTROL_TIMEOUT_NS + SLACK_NS, "the stuck repair failed the link after " + millis(failedNs) +
                " ms, control timeout " + millis(CONTROL_TIMEOUT_NS) + " ms");
            assertEquals(sender.peerName(), failed.peerName());
            assertTrue(failed.getMessage().contains("resending 1 corrupted blocks of frame 0 to " + sender.peerName()),
                failed.getMessage());
            assertTrue(failed.getMessage().contains("control timeout of " + millis(CONTROL_TIMEOUT_NS) + " ms"),
                failed.getMessage());

            final long closeStart = System.nanoTime();
            ring.close();
            assertTrue(System.nanoTime() - closeStart < CALL_BUDGET_NS + SLACK_NS, "closing a failed link must not drain");
        }
    }

    /**
     * With blocks that adapt and room for their checksums (pairs kept in a memory, practically noiseless at
     * T1 = T2 = 10^9 s), a request for a message's only block re-splits it; a REBLOCK the transport does
     * not take fails the link like a stuck repair within the control timeout, and the error, which the
     * end of the collective throws, says what was sent.
     */
    @Test
    void shouldNameAStuckResplitWhenItFailsTheLink()
    {
        final QuantumLinkSettings settings = QuantumLinkSettings.builder().memory(1e9, 1e9).controlTimeoutNs(CONTROL_TIMEOUT_NS).build();
        try (LocalRing ring = LocalRing.start(context(quantumOn(settings, true))))
        {
            final Link sender = ring.rank(0).next();
            final Link farEnd = ring.rank(1).previous();
            fillTheFarEndsQueue(sender, farEnd);
            farEnd.send(nackOfFrameZero(), 0, QuantumFrame.HEADER_LENGTH + 4, System.nanoTime() + GENEROUS_NS);

            final long start = System.nanoTime();
            final long deadline = start + GENEROUS_NS;
            LinkTimeoutException failed;
            do
            {
                // the end of the collective may give up waiting for acknowledgements just before the link fails
                failed = assertThrows(LinkTimeoutException.class, () -> sender.flush(deadline));
            }
            while (!failed.getMessage().contains("re-splitting") && System.nanoTime() < deadline);
            assertTrue(System.nanoTime() - start < CONTROL_TIMEOUT_NS + SLACK_NS, "the stuck re-split failed the link after " +
                millis(System.nanoTime() - start) + " ms, control timeout " + millis(CONTROL_TIMEOUT_NS) + " ms");
            assertTrue(Pattern.compile("re-splitting frame 0 into \\d+ blocks after 1 failed to " + Pattern.quote(sender.peerName()) +
                " within the control timeout").matcher(failed.getMessage()).find(), failed.getMessage());
            assertEquals(0, sender.ledger().get(LedgerCounter.RETRANSMITTED_QUBITS), "a re-split resends no qubits");
        }
    }

    /**
     * The send waits for acknowledgements (the window is full) without the lock, the control thread
     * then takes it for a repair that gets stuck; the send must still give up at its deadline.
     */
    @Test
    void shouldFailASendWaitingForAcknowledgementsWithinItsDeadlineWhileARepairIsStuck() throws Exception
    {
        final QuantumLinkSettings settings = QuantumLinkSettings.builder().blockLength(MESSAGE_LENGTH)
            .window(3).controlTimeoutNs(CONTROL_TIMEOUT_NS).build();
        try (LocalRing ring = LocalRing.start(context(quantumOn(settings, true))))
        {
            final Link sender = ring.rank(0).next();
            final Link farEnd = ring.rank(1).previous();
            fillTheFarEndsQueue(sender, farEnd);

            final long start = System.nanoTime();
            final CompletableFuture<Throwable> send = CompletableFuture.supplyAsync(() -> assertThrows(LinkTimeoutException.class,
                () -> sender.send(message(), 0, MESSAGE_LENGTH, start + 2 * CALL_BUDGET_NS)));
            askForARepair(sender, farEnd);
            final Throwable timeout = send.get(2 * GENEROUS_NS, TimeUnit.NANOSECONDS);
            final long sendNs = System.nanoTime() - start;
            assertTrue(sendNs < 2 * CALL_BUDGET_NS + SLACK_NS, "the send waited " + millis(sendNs) + " ms for a " +
                millis(2 * CALL_BUDGET_NS) + " ms deadline: " + timeout.getMessage());
            assertTrue(timeout.getMessage().contains("resending 1 corrupted blocks of frame 0"), timeout.getMessage());
        }
    }

    @Test
    void shouldAbortAndCloseWithoutWaitingForAStuckRepair()
    {
        final QuantumLinkSettings settings = QuantumLinkSettings.builder().blockLength(MESSAGE_LENGTH)
            .controlTimeoutNs(GENEROUS_NS).build();
        final Set<Thread> before = liveControlThreads();
        try (LocalRing ring = LocalRing.start(context(quantumOn(settings, true))))
        {
            final Link sender = ring.rank(0).next();
            stickARepair(sender, ring.rank(1).previous());

            final long start = System.nanoTime();
            sender.abort("rank 0 gives up in a test");
            final long abortNs = System.nanoTime() - start;
            assertTrue(abortNs < AuthenticatedLink.ABORT_SEND_TIMEOUT_NS + SLACK_NS, "abort took " + millis(abortNs) + " ms");
            final LinkClosedException aborted = assertThrows(LinkClosedException.class,
                () -> sender.send(message(), 0, MESSAGE_LENGTH, System.nanoTime() + GENEROUS_NS));
            assertTrue(System.nanoTime() - start < AuthenticatedLink.ABORT_SEND_TIMEOUT_NS + SLACK_NS,
                "an aborted link fails sends at once");
            assertTrue(aborted.getMessage().contains("rank 0 gives up in a test"), aborted.getMessage());

            ring.close();
            final long closeNs = System.nanoTime() - start;
            assertTrue(closeNs < GENEROUS_NS / 2, "closing waited " + millis(closeNs) + " ms for the stuck repair");
            final Set<Thread> left = liveControlThreads();
            left.removeAll(before);
            assertEquals(Set.of(), left, "the control thread stuck in the repair's send outlived the closed link");
        }
    }

    @Test
    void shouldCloseTheQuantumLinkWhenAWrapperComposedAfterItFails()
    {
        final LinkWrapper refusing = new LinkWrapper()
        {
            @Override
            public Link wrapNext(final Link link, final int selfRank, final int nextRank)
            {
                throw new IllegalStateException("the outer wrapper refuses");
            }

            @Override
            public Link wrapPrevious(final Link link, final int selfRank, final int previousRank)
            {
                return link;
            }
        };
        final LinkWrapper composed = QuantumLinkSettings.builder().build().wrapper().then(refusing);
        try (LocalRing ring = LocalRing.start(context(LinkWrapper.IDENTITY)))
        {
            final Set<Thread> before = liveControlThreads();

            final IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> composed.wrapNext(ring.rank(0).next(), 0, 1));

            assertEquals("the outer wrapper refuses", refused.getMessage());
            final Set<Thread> left = liveControlThreads();
            left.removeAll(before);
            assertEquals(Set.of(), left, "the quantum link the outer wrapper never returned was left running");
            assertEquals("rank 0 failed to connect: the outer wrapper refuses",
                ring.rank(1).previous().awaitPeerAbortReason(System.nanoTime() + GENEROUS_NS), "the peer is told why");
        }
    }

    private static Set<Thread> liveControlThreads()
    {
        return Thread.getAllStackTraces().keySet().stream()
            .filter(thread -> thread.isAlive() && thread.getName().startsWith("qring-quantum-"))
            .collect(Collectors.toCollection(HashSet::new));
    }

    @Test
    void shouldFailAReceiveWithinItsDeadlineWhenItsRepairRequestsAreNotRead() throws Exception
    {
        final QuantumLinkSettings settings = fallenBack().controlTimeoutNs(GENEROUS_NS).build();
        try (LocalRing ring = LocalRing.start(context(quantumOn(settings, false))))
        {
            final Link peer = ring.rank(0).next();
            final Link receiver = ring.rank(1).previous();
            send(peer, corruptedClassicalFrame(0));
            send(peer, corruptedClassicalFrame(1));
            // the queue holds two frames: the third goes in as soon as the receiver has read the first
            final CompletableFuture<Void> corrupted = CompletableFuture.runAsync(() -> send(peer, corruptedClassicalFrame(2)));

            final long start = System.nanoTime();
            final LinkTimeoutException timeout = assertThrows(LinkTimeoutException.class,
                () -> receiver.receive(IGNORE, start + 2 * CALL_BUDGET_NS));
            final long receiveNs = System.nanoTime() - start;
            assertTrue(receiveNs < 2 * CALL_BUDGET_NS + SLACK_NS, "the receive waited " + millis(receiveNs) + " ms for a " +
                millis(2 * CALL_BUDGET_NS) + " ms deadline: " + timeout.getMessage());
            assertEquals(receiver.peerName(), timeout.peerName());
            assertTrue(timeout.getMessage().contains("requesting 1 corrupted blocks of frame 2 again to " + receiver.peerName()),
                timeout.getMessage());
            corrupted.get(GENEROUS_NS, TimeUnit.NANOSECONDS);

            final long again = System.nanoTime();
            final LinkTimeoutException failed = assertThrows(LinkTimeoutException.class,
                () -> receiver.receive(IGNORE, System.nanoTime() + GENEROUS_NS));
            assertTrue(System.nanoTime() - again < AT_ONCE_NS, "a failed link must not wait for frames");
            assertTrue(failed.getMessage().contains("quantum link from " + receiver.peerName()), failed.getMessage());
        }
    }

    @Test
    void shouldAskForExactlyTheSplitBlocksThatFailAndDeliverOnceTheyAreRepaired() throws Exception
    {
        try (LocalRing ring = LocalRing.start(context(quantumOn(fallenBack().build(), false))))
        {
            final Link peer = ring.rank(0).next();
            final Link receiver = ring.rank(1).previous();
            final byte[] delivered = new byte[MESSAGE_LENGTH + 1];
            final CompletableFuture<Integer> received = CompletableFuture.supplyAsync(() ->
            {
                final int[] length = new int[1];
                receiver.receive((buffer, offset, bytes) ->
                {
                    buffer.getBytes(offset, delivered, 0, bytes);
                    length[0] = bytes;
                }, System.nanoTime() + GENEROUS_NS);
                return length[0];
            });
            final int splitLength = MESSAGE_LENGTH / 4;
            final UnsafeBuffer data = corruptedClassicalFrame(0);
            data.putByte(QuantumFrame.dataOverhead(1) + 2 * splitLength + 5, (byte)1);
            send(peer, data);
            assertEquals(List.of(0), nackedBlocks(peer));

            send(peer, reblockFrame(0, splitLength, 4));
            assertEquals(List.of(2), nackedBlocks(peer), "only the new block whose checksum fails is asked for");

            final UnsafeBuffer repair = new UnsafeBuffer(new byte[QuantumFrame.REPAIR_INDICES_OFFSET + 4 + splitLength]);
            QuantumFrame.writeHeader(repair, QuantumFrame.REPAIR, QuantumFrame.FLAG_CLASSICAL, 1, 0);
            repair.putInt(QuantumFrame.REPAIR_INDICES_OFFSET, 2, QuantumFrame.ORDER);
            send(peer, repair);

            assertEquals(MESSAGE_LENGTH, received.get(GENEROUS_NS, TimeUnit.NANOSECONDS));
            assertArrayEquals(new byte[MESSAGE_LENGTH + 1], delivered);
        }
    }

    @Test
    void shouldRejectASplitThatDoesNotTileTheMessage()
    {
        try (LocalRing ring = LocalRing.start(context(quantumOn(fallenBack().build(), false))))
        {
            final Link peer = ring.rank(0).next();
            final Link receiver = ring.rank(1).previous();
            send(peer, corruptedClassicalFrame(0));
            send(peer, reblockFrame(0, MESSAGE_LENGTH / 4, 3));
            final QuantumLinkException ex = assertThrows(QuantumLinkException.class,
                () -> receiver.receive(IGNORE, System.nanoTime() + GENEROUS_NS));
            assertTrue(ex.getMessage().contains("reblock frame for frame 0 announces 3 blocks of 256 bytes for a 1024-byte payload"),
                ex.getMessage());
        }
    }

    /**
     * Blocks sized for the configured noise (40 bytes at depolarizing 1e-3) are not split for one failed
     * block; but a block that fails four repair rounds running is far too long for the noise it meets
     * (pairs stored longer than expected, say), so the fifth request is answered by splitting the blocks.
     */
    @Test
    void shouldSplitTheBlocksOfAMessageWhoseBlockKeepsFailing()
    {
        final QuantumLinkSettings settings = QuantumLinkSettings.builder().onlineChannel(PauliChannel.depolarizing(1e-3)).build();
        assertEquals(40, settings.blockLength(0, 1));
        try (LocalRing ring = LocalRing.start(context(quantumOn(settings, true))))
        {
            final Link sender = ring.rank(0).next();
            final Link farEnd = ring.rank(1).previous();
            sender.send(message(), 0, MESSAGE_LENGTH, System.nanoTime() + GENEROUS_NS);
            assertEquals(QuantumFrame.DATA, nextFrameType(farEnd));
            final List<Byte> answers = new ArrayList<>();
            for (int request = 0; request < 5; request++)
            {
                final UnsafeBuffer nack = new UnsafeBuffer(new byte[QuantumFrame.HEADER_LENGTH + 4]);
                QuantumFrame.writeHeader(nack, QuantumFrame.NACK, (byte)0, 1, 0);
                nack.putInt(QuantumFrame.HEADER_LENGTH, 3, QuantumFrame.ORDER);
                send(farEnd, nack);
                answers.add(nextFrameType(farEnd));
            }
            assertEquals(List.of(QuantumFrame.REPAIR, QuantumFrame.REPAIR, QuantumFrame.REPAIR, QuantumFrame.REPAIR, QuantumFrame.REBLOCK),
                answers);
        }
    }

    /** @return a copy of the next message the far end reads. */
    private static UnsafeBuffer nextFrame(final Link farEnd)
    {
        final UnsafeBuffer[] frame = new UnsafeBuffer[1];
        farEnd.receive((buffer, offset, length) ->
        {
            frame[0] = new UnsafeBuffer(new byte[length]);
            buffer.getBytes(offset, frame[0], 0, length);
        }, System.nanoTime() + GENEROUS_NS);
        return frame[0];
    }

    private static byte nextFrameType(final Link farEnd)
    {
        final byte[] type = new byte[1];
        farEnd.receive((buffer, offset, length) -> type[0] = QuantumFrame.type(buffer, offset), System.nanoTime() + GENEROUS_NS);
        return type[0];
    }

    /**
     * A member holding the secret that sends data frames beyond the window (messages a sender may have
     * unacknowledged) would make the receiver hold one assembly per frame; the receiver rejects the
     * first such frame. Here frame 0 awaits a repair, so nothing is delivered or acknowledged, and with a
     * window of 2 frame 2 is one too many.
     */
    @Test
    void shouldRejectADataFrameBeyondTheWindowOfUnacknowledgedMessages() throws Exception
    {
        try (LocalRing ring = LocalRing.start(context(quantumOn(fallenBack().window(2).build(), false))))
        {
            final Link peer = ring.rank(0).next();
            final Link receiver = ring.rank(1).previous();
            final CompletableFuture<Void> received = CompletableFuture.runAsync(() ->
                receiver.receive(IGNORE, System.nanoTime() + GENEROUS_NS));
            send(peer, corruptedClassicalFrame(0));
            assertEquals(List.of(0), nackedBlocks(peer));
            send(peer, classicalFrame(1));
            send(peer, classicalFrame(2));

            final Throwable failure = assertThrows(ExecutionException.class, () -> received.get(GENEROUS_NS, TimeUnit.NANOSECONDS))
                .getCause();
            assertInstanceOf(QuantumLinkException.class, failure);
            assertTrue(failure.getMessage().contains("data frame 2 arrived with the frames after -1 unacknowledged: more than the 2" +
                " messages a sender may have in flight"), failure.getMessage());
        }
    }

    /**
     * The sender's flush ends a collective only once the receiver has acknowledged everything (so every
     * repair stays inside the collective that needed it): without an acknowledgement it fails by its
     * deadline naming the peer; once the far end acknowledges, it returns.
     */
    @Test
    void shouldEndACollectiveOnlyOnceThePeerHasAcknowledgedEveryMessage()
    {
        final QuantumLinkSettings settings = QuantumLinkSettings.builder().blockLength(MESSAGE_LENGTH).build();
        try (LocalRing ring = LocalRing.start(context(quantumOn(settings, true))))
        {
            final Link sender = ring.rank(0).next();
            final Link farEnd = ring.rank(1).previous();
            sender.send(message(), 0, MESSAGE_LENGTH, System.nanoTime() + GENEROUS_NS);
            farEnd.receive(IGNORE, System.nanoTime() + GENEROUS_NS);

            final long start = System.nanoTime();
            final LinkTimeoutException timeout = assertThrows(LinkTimeoutException.class, () -> sender.flush(start + CALL_BUDGET_NS));
            final long flushNs = System.nanoTime() - start;
            assertTrue(flushNs >= CALL_BUDGET_NS && flushNs < CALL_BUDGET_NS + SLACK_NS, "the flush gave up after " + millis(flushNs) +
                " ms for a " + millis(CALL_BUDGET_NS) + " ms deadline");
            assertEquals(sender.peerName(), timeout.peerName());
            assertTrue(timeout.getMessage().contains("did not acknowledge every message"), timeout.getMessage());

            final UnsafeBuffer acknowledgement = new UnsafeBuffer(new byte[QuantumFrame.HEADER_LENGTH]);
            QuantumFrame.writeHeader(acknowledgement, QuantumFrame.ACK, (byte)0, 0, 0);
            send(farEnd, acknowledgement);
            sender.flush(System.nanoTime() + GENEROUS_NS);
        }
    }

    /**
     * A repair request must name between one and all of the message's blocks, each once and in range,
     * in exactly as many bytes as its indices take; anything else fails the link with a
     * {@link QuantumLinkException} naming the peer, before any block is resent or counted. The message
     * is 1024 bytes in 16 blocks of 64.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedRepairRequests")
    void shouldFailTheLinkOnAMalformedRepairRequest(final String name, final UnsafeBuffer nack, final String expected)
    {
        final QuantumLinkSettings settings = QuantumLinkSettings.builder().blockLength(64).build();
        try (LocalRing ring = LocalRing.start(context(quantumOn(settings, true))))
        {
            final Link sender = ring.rank(0).next();
            final Link farEnd = ring.rank(1).previous();
            sender.send(message(), 0, MESSAGE_LENGTH, System.nanoTime() + GENEROUS_NS);
            assertEquals(QuantumFrame.DATA, nextFrameType(farEnd));
            send(farEnd, nack);

            final QuantumLinkException failed = assertThrows(QuantumLinkException.class,
                () -> sender.flush(System.nanoTime() + GENEROUS_NS));
            assertEquals(sender.peerName(), failed.peerName());
            assertTrue(failed.getMessage().contains("quantum link 0->1 to " + sender.peerName() + ": " + expected), failed.getMessage());
            assertEquals(0, sender.ledger().get(LedgerCounter.RETRANSMITTED_QUBITS), "nothing was resent");
            final QuantumLinkException again = assertThrows(QuantumLinkException.class,
                () -> sender.send(message(), 0, MESSAGE_LENGTH, System.nanoTime() + GENEROUS_NS));
            assertTrue(again.getMessage().contains(expected), again.getMessage());
        }
    }

    static Stream<Arguments> malformedRepairRequests()
    {
        return Stream.of(
            Arguments.of("3 blocks announced, none carried", nack(3, 16),
                "repair request for frame 0 names 3 blocks in 16 bytes instead of 28"),
            Arguments.of("negative count", nack(-1, 16), "repair request for frame 0 names -1 blocks of a message of 16"),
            Arguments.of("no block", nack(0, 16), "repair request for frame 0 names 0 blocks of a message of 16"),
            Arguments.of("more blocks than the message", nack(17, 84, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 15),
                "repair request for frame 0 names 17 blocks of a message of 16"),
            Arguments.of("trailing bytes", nack(1, 24, 3), "repair request for frame 0 names 1 blocks in 24 bytes instead of 20"),
            Arguments.of("block out of range", nack(2, 24, 3, 16), "repair request for frame 0 names block 16 of a message of 16"),
            Arguments.of("negative block", nack(1, 20, -1), "repair request for frame 0 names block -1 of a message of 16"),
            Arguments.of("block named twice", nack(3, 28, 5, 6, 5), "repair request for frame 0 names block 5 twice"),
            Arguments.of("unknown frame", nackFor(7, 1, 20, 0), "repair request for frame 7, which is not awaiting acknowledgement"));
    }

    /** @return a NACK for frame 0 announcing {@code count} blocks in {@code length} bytes, carrying {@code blocks}. */
    private static UnsafeBuffer nack(final int count, final int length, final int... blocks)
    {
        return nackFor(0, count, length, blocks);
    }

    private static UnsafeBuffer nackFor(final long sequence, final int count, final int length, final int... blocks)
    {
        final UnsafeBuffer nack = new UnsafeBuffer(new byte[length]);
        QuantumFrame.writeHeader(nack, QuantumFrame.NACK, (byte)0, count, sequence);
        for (int i = 0; i < blocks.length && QuantumFrame.HEADER_LENGTH + 4 * i + 4 <= length; i++)
        {
            nack.putInt(QuantumFrame.HEADER_LENGTH + 4 * i, blocks[i], QuantumFrame.ORDER);
        }
        return nack;
    }

    /**
     * A data frame the transport did not take has spent its pairs and awaits acknowledgement: the two
     * ends' pools are out of step, so the link fails with the transport's error, even once the transport
     * takes frames again.
     */
    @Test
    void shouldFailTheLinkWhenTheTransportDoesNotTakeADataFrame()
    {
        final QuantumLinkSettings settings = QuantumLinkSettings.builder().blockLength(MESSAGE_LENGTH).build();
        try (LocalRing ring = LocalRing.start(context(quantumOn(settings, true))))
        {
            final Link sender = ring.rank(0).next();
            final Link farEnd = ring.rank(1).previous();
            fillTheFarEndsQueue(sender, farEnd);
            final LinkTimeoutException timeout = assertThrows(LinkTimeoutException.class,
                () -> sender.send(message(), 0, MESSAGE_LENGTH, System.nanoTime() + CALL_BUDGET_NS));
            final long pairsSpent = sender.ledger().get(LedgerCounter.EPR_CONSUMED);
            assertEquals(4L * 4 * MESSAGE_LENGTH, pairsSpent, "frame 3 took its pairs before the transport refused it");

            farEnd.receive(IGNORE, System.nanoTime() + GENEROUS_NS);
            farEnd.receive(IGNORE, System.nanoTime() + GENEROUS_NS);
            final long start = System.nanoTime();
            final LinkTimeoutException failed = assertThrows(LinkTimeoutException.class,
                () -> sender.send(message(), 0, MESSAGE_LENGTH, System.nanoTime() + GENEROUS_NS));
            assertTrue(System.nanoTime() - start < AT_ONCE_NS, "a failed link must not wait");
            assertEquals(sender.peerName(), failed.peerName());
            assertTrue(failed.getMessage().contains("sending frame 3 to " + sender.peerName()), failed.getMessage());
            assertTrue(failed.getMessage().contains(timeout.getMessage()), failed.getMessage());
            assertEquals(pairsSpent, sender.ledger().get(LedgerCounter.EPR_CONSUMED), "no frame goes out after the failure");
            assertThrows(LinkTimeoutException.class, () -> sender.flush(System.nanoTime() + GENEROUS_NS));
        }
    }

    /**
     * A superdense frame must carry exactly the payload its data frame announces. Here a frame of link
     * 0->1's real pairs carries 512 zero bytes where the data frame announces 1024 (and the checksum of
     * 1024 zeros, which the decoded message would match): the receiver must refuse it rather than take
     * half the pairs and deliver, and every later receive fails with the same cause.
     */
    @Test
    void shouldRejectASuperdenseFrameShorterThanItsDataFrameAndLatchTheFailure()
    {
        final QuantumLinkSettings settings = QuantumLinkSettings.builder().build();
        try (LocalRing ring = LocalRing.start(context(quantumOn(settings, false))))
        {
            final Link peer = ring.rank(0).next();
            final Link receiver = ring.rank(1).previous();
            send(peer, superdenseDataFrame(settings, MESSAGE_LENGTH / 2));

            final QuantumLinkException rejected = assertThrows(QuantumLinkException.class,
                () -> receiver.receive(IGNORE, System.nanoTime() + GENEROUS_NS));
            assertEquals(receiver.peerName(), rejected.peerName());
            assertTrue(rejected.getMessage().contains("data frame 0 announces 1024 payload bytes but its 536-byte superdense frame" +
                " announces 512"), rejected.getMessage());
            assertLatched(receiver, rejected);
        }
    }

    /** A superdense frame the codec refuses (here its magic is wrong) is the link's protocol error, and latched. */
    @Test
    void shouldTurnAFrameTheCodecRefusesIntoTheLinksProtocolError()
    {
        try (LocalRing ring = LocalRing.start(context(quantumOn(QuantumLinkSettings.builder().build(), false))))
        {
            final Link peer = ring.rank(0).next();
            final Link receiver = ring.rank(1).previous();
            final int overhead = QuantumFrame.dataOverhead(1);
            final UnsafeBuffer frame = new UnsafeBuffer(new byte[overhead + SuperdenseEncoder.wireLength(MESSAGE_LENGTH)]);
            QuantumFrame.writeHeader(frame, QuantumFrame.DATA, (byte)0, MESSAGE_LENGTH, 0);
            frame.putInt(QuantumFrame.BLOCK_LENGTH_OFFSET, MESSAGE_LENGTH, QuantumFrame.ORDER);
            SuperdenseFrameHeader.write(frame, overhead, MESSAGE_LENGTH, 0, 0);
            frame.putInt(overhead + SuperdenseFrameHeader.MAGIC_OFFSET, 0, QuantumFrame.ORDER);
            send(peer, frame);

            final QuantumLinkException rejected = assertThrows(QuantumLinkException.class,
                () -> receiver.receive(IGNORE, System.nanoTime() + GENEROUS_NS));
            assertEquals(receiver.peerName(), rejected.peerName());
            assertInstanceOf(SuperdenseFrameException.class, rejected.getCause());
            assertTrue(rejected.getMessage().contains("could not be decoded"), rejected.getMessage());
            assertLatched(receiver, rejected);
        }
    }

    /**
     * A sender whose pairs fail verification under the fallback policy learns it when it reserves the
     * first frame's pairs, before coding the frame: the frame and its repair travel as classical bits,
     * carrying the payload itself, and no pair is spent.
     */
    @Test
    void shouldSendTheFrameWhosePairsFailedVerificationAndItsRepairsClassically()
    {
        final QuantumLinkSettings settings = fallenBack().blockLength(MESSAGE_LENGTH).build();
        try (LocalRing ring = LocalRing.start(context(quantumOn(settings, true))))
        {
            final Link sender = ring.rank(0).next();
            final Link farEnd = ring.rank(1).previous();
            final UnsafeBuffer payload = message();
            for (int i = 0; i < MESSAGE_LENGTH; i++)
            {
                payload.putByte(i, (byte)(i * 31 + 7));
            }
            sender.send(payload, 0, MESSAGE_LENGTH, System.nanoTime() + GENEROUS_NS);
            final UnsafeBuffer data = nextFrame(farEnd);
            assertEquals(QuantumFrame.DATA, QuantumFrame.type(data, 0));
            assertTrue(QuantumFrame.isClassical(data, 0), "the data frame must be flagged classical");
            final int overhead = QuantumFrame.dataOverhead(1);
            assertEquals(overhead + MESSAGE_LENGTH, data.capacity());
            assertEquals(payload, new UnsafeBuffer(data.byteArray(), overhead, MESSAGE_LENGTH));

            final UnsafeBuffer nack = nackOfFrameZero();
            farEnd.send(nack, 0, nack.capacity(), System.nanoTime() + GENEROUS_NS);
            final UnsafeBuffer repair = nextFrame(farEnd);
            assertEquals(QuantumFrame.REPAIR, QuantumFrame.type(repair, 0));
            assertTrue(QuantumFrame.isClassical(repair, 0), "the repair frame must be flagged classical");
            assertEquals(payload, new UnsafeBuffer(repair.byteArray(), QuantumFrame.REPAIR_INDICES_OFFSET + 4, MESSAGE_LENGTH));

            final LinkLedger ledger = sender.ledger();
            assertEquals(0, ledger.get(LedgerCounter.EPR_CONSUMED), ledger.toString());
            assertEquals(0, ledger.get(LedgerCounter.ONLINE_QUBITS) + ledger.get(LedgerCounter.RETRANSMITTED_QUBITS));
            assertEquals(2L * 8 * MESSAGE_LENGTH, ledger.get(LedgerCounter.FALLBACK_CLASSICAL_BITS));
            assertTrue(ledger.get(LedgerCounter.EPR_PRE_SHARED) > 0, "the batch was distributed and verified: " + ledger);
        }
    }

    /**
     * A pool of one message's pairs distributes a batch for every frame; with pairs dephased by 0.158
     * (QBER 0.079) and half of each batch sacrificed, 4096 pairs sit on the alarm boundary of threshold
     * 0.05 and δ = 10⁻³ (radius 0.029), so some batches pass and some fail. The frames before the first
     * batch that fails are superdense-coded, that frame and every later one classical, the round found
     * by a verifier of its own on a twin of the sender's pool.
     */
    @Test
    void shouldSwitchToClassicalFramesAtTheFrameWhoseBatchFirstFailsVerification()
    {
        final int frames = 8;
        final QuantumLinkSettings settings = QuantumLinkSettings.builder().distributionChannel(PauliChannel.dephasing(0.158))
            .poolCapacityPairs(4L * MESSAGE_LENGTH).verificationFraction(0.5).verification(new VerificationSettings(0.05, 1e-3))
            .alarmPolicy(AlarmPolicy.FALLBACK_CLASSICAL).blockLength(MESSAGE_LENGTH).seed(3).build();
        final List<VerificationResult> rounds = new ArrayList<>();
        final EprPool twin = QuantumLinkWrapper.pool(settings, EprPool.Side.SENDER, 0, 1, new LinkLedger("0->1"),
            new QberVerifier(settings.verification(), rounds::add));
        for (int frame = 0; frame < frames; frame++)
        {
            twin.take(twin.capacity());
        }
        final int firstFailed = rounds.stream().map(VerificationResult::alarm).toList().indexOf(true);
        assertTrue(firstFailed > 0 && firstFailed < frames - 1, "the seed's verdicts " +
            rounds.stream().map(VerificationResult::alarm).toList() + " must pass at first and fail before the last frame");

        try (LocalRing ring = LocalRing.start(context(quantumOn(settings, true))))
        {
            final Link sender = ring.rank(0).next();
            final Link farEnd = ring.rank(1).previous();
            final List<Boolean> classical = new ArrayList<>();
            for (int frame = 0; frame < frames; frame++)
            {
                sender.send(message(), 0, MESSAGE_LENGTH, System.nanoTime() + GENEROUS_NS);
                classical.add(QuantumFrame.isClassical(nextFrame(farEnd), 0));
            }
            final List<Boolean> expected = new ArrayList<>();
            for (int frame = 0; frame < frames; frame++)
            {
                expected.add(frame >= firstFailed);
            }
            assertEquals(expected, classical, "classical frames, by frame");
            assertEquals(4L * MESSAGE_LENGTH * firstFailed, sender.ledger().get(LedgerCounter.ONLINE_QUBITS));
            assertEquals(8L * MESSAGE_LENGTH * (frames - firstFailed), sender.ledger().get(LedgerCounter.FALLBACK_CLASSICAL_BITS));
        }
    }

    /**
     * Under the abort policy a sender whose first batch fails verification codes nothing on it: in place
     * of each frame it sends an alarm frame naming the message and its length, and spends no pair.
     */
    @Test
    void shouldAnnounceTheAlarmInsteadOfCodingAFrameOnPairsThatFailedUnderAbort()
    {
        final QuantumLinkSettings settings = QuantumLinkSettings.builder().eavesdropper(0, 1, InterceptResendEavesdropper.everyPair())
            .blockLength(MESSAGE_LENGTH).build();
        assertEquals(AlarmPolicy.ABORT, settings.alarmPolicy());
        try (LocalRing ring = LocalRing.start(context(quantumOn(settings, true))))
        {
            final Link sender = ring.rank(0).next();
            final Link farEnd = ring.rank(1).previous();
            for (int message = 0; message < 2; message++)
            {
                sender.send(message(), 0, MESSAGE_LENGTH, System.nanoTime() + GENEROUS_NS);
                final UnsafeBuffer alarm = nextFrame(farEnd);
                assertEquals(QuantumFrame.ALARM, QuantumFrame.type(alarm, 0));
                assertEquals(QuantumFrame.HEADER_LENGTH, alarm.capacity());
                assertEquals(MESSAGE_LENGTH, QuantumFrame.count(alarm, 0));
                assertEquals(0, QuantumFrame.sequence(alarm, 0), "no message was sent, so the next is still message 0");
            }
            final LinkLedger ledger = sender.ledger();
            assertEquals(0, ledger.get(LedgerCounter.EPR_CONSUMED), ledger.toString());
            assertEquals(0, ledger.get(LedgerCounter.PAYLOAD_BITS), ledger.toString());
            assertTrue(ledger.get(LedgerCounter.EPR_PRE_SHARED) > 0, "the batch was distributed and verified: " + ledger);

            final long start = System.nanoTime();
            final QuantumLinkException ended = assertThrows(QuantumLinkException.class,
                () -> sender.flush(System.nanoTime() + GENEROUS_NS));
            assertTrue(System.nanoTime() - start < AT_ONCE_NS, "the collective's end must fail at once, not wait for the receiver");
            assertTrue(ended.getMessage().contains("verification of link 0->1 raised an alarm"), ended.getMessage());
            assertTrue(ended.getMessage().contains("(nothing was coded on its pairs)"), ended.getMessage());
            assertSame(ended, assertThrows(QuantumLinkException.class,
                () -> sender.send(message(), 0, MESSAGE_LENGTH, System.nanoTime() + GENEROUS_NS)).getCause(), "the failure is latched");
        }
    }

    /**
     * Under the abort policy, a superdense-coded frame whose pairs come from a batch that failed means the
     * sender did not announce the alarm it had to; an alarm frame must stand for the next data frame or
     * a message awaiting repair.
     */
    @Test
    void shouldRejectACodedFrameOnAFailedBatchAndAnAlarmForNoFrameUnderAbort()
    {
        final QuantumLinkSettings attacked = QuantumLinkSettings.builder().eavesdropper(0, 1, InterceptResendEavesdropper.everyPair())
            .build();
        try (LocalRing ring = LocalRing.start(context(quantumOn(attacked, false))))
        {
            send(ring.rank(0).next(), superdenseDataFrame(attacked, MESSAGE_LENGTH));
            final QuantumLinkException coded = assertThrows(QuantumLinkException.class,
                () -> ring.rank(1).previous().receive(IGNORE, System.nanoTime() + GENEROUS_NS));
            assertTrue(coded.getMessage().contains("data frame 0 came where the sender had to announce the alarm instead"),
                coded.getMessage());
            assertTrue(coded.getMessage().contains("verification of link 0->1 raised an alarm"), coded.getMessage());
        }
        try (LocalRing ring = LocalRing.start(context(quantumOn(attacked, false))))
        {
            final UnsafeBuffer alarm = new UnsafeBuffer(new byte[QuantumFrame.HEADER_LENGTH]);
            QuantumFrame.writeHeader(alarm, QuantumFrame.ALARM, (byte)0, MESSAGE_LENGTH, 5);
            send(ring.rank(0).next(), alarm);
            final QuantumLinkException stray = assertThrows(QuantumLinkException.class,
                () -> ring.rank(1).previous().receive(IGNORE, System.nanoTime() + GENEROUS_NS));
            assertTrue(stray.getMessage().contains("alarm frame for frame 5, which is not awaiting repair"), stray.getMessage());
        }
    }

    /**
     * A receiver handed the sender's alarm reserves the frame's pairs, reaches the same verdict, fails
     * the link naming the verification and tells the sender; one whose own verification passed calls
     * the alarm a protocol error.
     */
    @Test
    void shouldFailTheLinkOnTheSendersAlarmOnlyWhenItsOwnVerificationAgrees()
    {
        final QuantumLinkSettings attacked = QuantumLinkSettings.builder().eavesdropper(0, 1, InterceptResendEavesdropper.everyPair())
            .build();
        for (final QuantumLinkSettings settings : List.of(attacked, QuantumLinkSettings.builder().build()))
        {
            try (LocalRing ring = LocalRing.start(context(quantumOn(settings, false))))
            {
                final Link peer = ring.rank(0).next();
                final Link receiver = ring.rank(1).previous();
                final UnsafeBuffer alarm = new UnsafeBuffer(new byte[QuantumFrame.HEADER_LENGTH]);
                QuantumFrame.writeHeader(alarm, QuantumFrame.ALARM, (byte)0, MESSAGE_LENGTH, 0);
                send(peer, alarm);

                final QuantumLinkException failed = assertThrows(QuantumLinkException.class,
                    () -> receiver.receive(IGNORE, System.nanoTime() + GENEROUS_NS));
                if (settings == attacked)
                {
                    assertTrue(failed.getMessage().contains("verification of link 0->1 raised an alarm"), failed.getMessage());
                    assertEquals(QuantumFrame.ALARM, nextFrameType(peer), "the receiver tells the sender");
                    assertEquals(1, receiver.ledger().get(LedgerCounter.VERIFICATION_ALARMS));
                }
                else
                {
                    assertTrue(failed.getMessage().contains("alarm frame for frame 0 announces a verification alarm that this end's" +
                        " verification of the same pairs did not raise"), failed.getMessage());
                    assertLatched(receiver, failed);
                }
            }
        }
    }

    /** Classical frames before any alarm mean the two ends disagree about the link's verdicts. */
    @Test
    void shouldRejectAClassicalFrameBeforeAnyVerificationAlarm()
    {
        try (LocalRing ring = LocalRing.start(context(quantumOn(QuantumLinkSettings.builder().build(), false))))
        {
            final Link peer = ring.rank(0).next();
            final Link receiver = ring.rank(1).previous();
            send(peer, classicalFrame(0));

            final QuantumLinkException rejected = assertThrows(QuantumLinkException.class,
                () -> receiver.receive(IGNORE, System.nanoTime() + GENEROUS_NS));
            assertEquals(receiver.peerName(), rejected.peerName());
            assertTrue(rejected.getMessage().contains("data frame 0 came as classical bits, but no verification of the link's pairs" +
                " has raised an alarm"), rejected.getMessage());
            assertLatched(receiver, rejected);
        }
    }

    /**
     * Once a batch has failed verification under the fallback policy, a superdense-coded frame would
     * have carried data on pairs an eavesdropper touched: the receiver rejects it rather than decode it.
     */
    @Test
    void shouldRejectASuperdenseFrameAfterTheLinkFellBack()
    {
        final QuantumLinkSettings settings = fallenBack().build();
        try (LocalRing ring = LocalRing.start(context(quantumOn(settings, false))))
        {
            final Link peer = ring.rank(0).next();
            final Link receiver = ring.rank(1).previous();
            send(peer, superdenseDataFrame(settings, MESSAGE_LENGTH));

            final QuantumLinkException rejected = assertThrows(QuantumLinkException.class,
                () -> receiver.receive(IGNORE, System.nanoTime() + GENEROUS_NS));
            assertTrue(rejected.getMessage().contains("data frame 0 came superdense-coded after verification round 0 raised an alarm"),
                rejected.getMessage());
            assertLatched(receiver, rejected);
        }
    }

    /** A frame still corrupted after the configured repair rounds fails the link for good. */
    @Test
    void shouldLatchTheFailureOfAFrameBeyondRepair()
    {
        try (LocalRing ring = LocalRing.start(context(quantumOn(fallenBack().maxRepairRounds(1).build(), false))))
        {
            final Link peer = ring.rank(0).next();
            final Link receiver = ring.rank(1).previous();
            final CompletableFuture<Throwable> received = CompletableFuture.supplyAsync(() -> assertThrows(QuantumLinkException.class,
                () -> receiver.receive(IGNORE, System.nanoTime() + GENEROUS_NS)));
            send(peer, corruptedClassicalFrame(0));
            assertEquals(List.of(0), nackedBlocks(peer));
            final UnsafeBuffer repair = new UnsafeBuffer(new byte[QuantumFrame.REPAIR_INDICES_OFFSET + 4 + MESSAGE_LENGTH]);
            QuantumFrame.writeHeader(repair, QuantumFrame.REPAIR, QuantumFrame.FLAG_CLASSICAL, 1, 0);
            repair.putInt(QuantumFrame.REPAIR_INDICES_OFFSET, 0, QuantumFrame.ORDER);
            send(peer, repair);

            final Throwable beyondRepair = received.join();
            assertTrue(beyondRepair.getMessage().contains("frame 0 from " + receiver.peerName() + " still has 1 corrupted blocks after" +
                " 1 repair rounds"), beyondRepair.getMessage());
            assertLatched(receiver, (QuantumLinkException)beyondRepair);
        }
    }

    /** A repair frame carrying more bytes than the blocks it names is a protocol error. */
    @Test
    void shouldRejectARepairFrameLongerThanItsBlocks()
    {
        try (LocalRing ring = LocalRing.start(context(quantumOn(fallenBack().build(), false))))
        {
            final Link peer = ring.rank(0).next();
            final Link receiver = ring.rank(1).previous();
            final CompletableFuture<Throwable> received = CompletableFuture.supplyAsync(() -> assertThrows(QuantumLinkException.class,
                () -> receiver.receive(IGNORE, System.nanoTime() + GENEROUS_NS)));
            send(peer, corruptedClassicalFrame(0));
            assertEquals(List.of(0), nackedBlocks(peer));
            final UnsafeBuffer repair = new UnsafeBuffer(new byte[QuantumFrame.REPAIR_INDICES_OFFSET + 4 + MESSAGE_LENGTH + 8]);
            QuantumFrame.writeHeader(repair, QuantumFrame.REPAIR, QuantumFrame.FLAG_CLASSICAL, 1, 0);
            repair.putInt(QuantumFrame.REPAIR_INDICES_OFFSET, 0, QuantumFrame.ORDER);
            send(peer, repair);

            final Throwable rejected = received.join();
            assertTrue(rejected.getMessage().contains("classical repair frame for frame 0 carries 1032 bytes for 1 blocks of 1024 bytes"),
                rejected.getMessage());
            assertLatched(receiver, (QuantumLinkException)rejected);
        }
    }

    /** Every later receive and flush fails at once, with the first failure as its cause. */
    private static void assertLatched(final Link receiver, final QuantumLinkException first)
    {
        final long start = System.nanoTime();
        final QuantumLinkException again = assertThrows(QuantumLinkException.class,
            () -> receiver.receive(IGNORE, System.nanoTime() + GENEROUS_NS));
        assertTrue(System.nanoTime() - start < AT_ONCE_NS, "a failed link must not wait for frames");
        assertSame(first, again.getCause());
        assertSame(first, assertThrows(QuantumLinkException.class, () -> receiver.flush(System.nanoTime() + GENEROUS_NS)).getCause());
        assertFalse(again.getMessage().isBlank());
    }

    /**
     * Data frame 0 announcing {@link #MESSAGE_LENGTH} zero bytes in one block, with their checksum, whose
     * superdense frame codes {@code codedLength} zero bytes on link 0->1's own pairs.
     */
    private static UnsafeBuffer superdenseDataFrame(final QuantumLinkSettings settings, final int codedLength)
    {
        final SuperdenseEncoder encoder = new SuperdenseEncoder(QuantumLinkWrapper.pool(settings, EprPool.Side.SENDER, 0, 1,
            new LinkLedger("0->1"), null));
        final int overhead = QuantumFrame.dataOverhead(1);
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[overhead + SuperdenseEncoder.wireLength(codedLength)]);
        QuantumFrame.writeHeader(frame, QuantumFrame.DATA, (byte)0, MESSAGE_LENGTH, 0);
        frame.putInt(QuantumFrame.BLOCK_LENGTH_OFFSET, MESSAGE_LENGTH, QuantumFrame.ORDER);
        frame.putInt(QuantumFrame.DATA_CRCS_OFFSET, zeroBlockCrc(MESSAGE_LENGTH), QuantumFrame.ORDER);
        encoder.encode(new UnsafeBuffer(new byte[codedLength]), 0, codedLength, frame, overhead);
        return frame;
    }

    /** A split of frame {@code sequence}'s payload of zeros into {@code blocks} blocks, each with the checksum of zeros. */
    private static UnsafeBuffer reblockFrame(final long sequence, final int blockLength, final int blocks)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[QuantumFrame.dataOverhead(blocks)]);
        QuantumFrame.writeHeader(frame, QuantumFrame.REBLOCK, (byte)0, blocks, sequence);
        frame.putInt(QuantumFrame.BLOCK_LENGTH_OFFSET, blockLength, QuantumFrame.ORDER);
        for (int i = 0; i < blocks; i++)
        {
            frame.putInt(QuantumFrame.DATA_CRCS_OFFSET + 4 * i, zeroBlockCrc(blockLength), QuantumFrame.ORDER);
        }
        return frame;
    }

    private static int zeroBlockCrc(final int blockLength)
    {
        return new BlockChecksums().block(new byte[blockLength], 0, blockLength, blockLength, 0);
    }

    private static void send(final Link link, final UnsafeBuffer frame)
    {
        link.send(frame, 0, frame.capacity(), System.nanoTime() + GENEROUS_NS);
    }

    /** @return the block indices of the next control message, which must be a NACK. */
    private static List<Integer> nackedBlocks(final Link peer)
    {
        final List<Integer> blocks = new ArrayList<>();
        peer.receive((buffer, offset, length) ->
        {
            assertEquals(QuantumFrame.NACK, QuantumFrame.type(buffer, offset));
            for (int i = 0; i < QuantumFrame.count(buffer, offset); i++)
            {
                blocks.add(buffer.getInt(offset + QuantumFrame.HEADER_LENGTH + 4 * i, QuantumFrame.ORDER));
            }
        }, System.nanoTime() + GENEROUS_NS);
        return blocks;
    }

    @Test
    void shouldRejectANonPositiveControlTimeout()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> QuantumLinkSettings.builder().controlTimeoutNs(0).build());
        assertTrue(ex.getMessage().contains("control timeout"), ex.getMessage());
        assertEquals(QuantumLinkSettings.DEFAULT_CONTROL_TIMEOUT_NS, QuantumLinkSettings.builder().build().controlTimeoutNs());
        assertTrue(QuantumLinkSettings.builder().controlTimeoutNs(TimeUnit.SECONDS.toNanos(2)).build().toString()
            .contains("controlTimeoutMs=2000"));
    }

    /**
     * Sends three frames, the far end reading the first, so the second and third fill its queue, then
     * asks for the first frame's only block again and stops reading. The repair cannot be handed over.
     * The sender's blocks must have a fixed length: an adaptive sender would split the failed block
     * ({@link QuantumFrame#REBLOCK}) rather than resend it.
     *
     * @return when the repair was seen to start.
     */
    /** @return a request for block 0 of frame 0 again. */
    private static UnsafeBuffer nackOfFrameZero()
    {
        final UnsafeBuffer nack = new UnsafeBuffer(new byte[QuantumFrame.HEADER_LENGTH + 4]);
        QuantumFrame.writeHeader(nack, QuantumFrame.NACK, (byte)0, 1, 0);
        nack.putInt(QuantumFrame.HEADER_LENGTH, 0, QuantumFrame.ORDER);
        return nack;
    }

    private static long stickARepair(final Link sender, final Link farEnd)
    {
        fillTheFarEndsQueue(sender, farEnd);
        return askForARepair(sender, farEnd);
    }

    /** Sends frames 0 to 2; the far end reads frame 0, so frames 1 and 2 fill its queue. */
    private static void fillTheFarEndsQueue(final Link sender, final Link farEnd)
    {
        sender.send(message(), 0, MESSAGE_LENGTH, System.nanoTime() + GENEROUS_NS);
        sender.send(message(), 0, MESSAGE_LENGTH, System.nanoTime() + GENEROUS_NS);
        farEnd.receive(IGNORE, System.nanoTime() + GENEROUS_NS);
        sender.send(message(), 0, MESSAGE_LENGTH, System.nanoTime() + GENEROUS_NS);
    }

    /**
     * The far end asks for frame 0's only block again and reads nothing more.
     *
     * @return when the sender was seen to start the repair.
     */
    private static long askForARepair(final Link sender, final Link farEnd)
    {
        final UnsafeBuffer nack = nackOfFrameZero();
        farEnd.send(nack, 0, nack.capacity(), System.nanoTime() + GENEROUS_NS);

        final long deadline = System.nanoTime() + GENEROUS_NS;
        while (sender.ledger().get(LedgerCounter.RETRANSMITTED_QUBITS) == 0)
        {
            assertTrue(System.nanoTime() < deadline, "the sender never started the repair");
            Thread.onSpinWait();
        }
        return System.nanoTime();
    }

    /** A classical-flagged data frame of one block of zeros with its checksum. */
    private static UnsafeBuffer classicalFrame(final long sequence)
    {
        final int overhead = QuantumFrame.dataOverhead(1);
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[overhead + MESSAGE_LENGTH]);
        QuantumFrame.writeHeader(frame, QuantumFrame.DATA, QuantumFrame.FLAG_CLASSICAL, MESSAGE_LENGTH, sequence);
        frame.putInt(QuantumFrame.BLOCK_LENGTH_OFFSET, MESSAGE_LENGTH, QuantumFrame.ORDER);
        frame.putInt(QuantumFrame.DATA_CRCS_OFFSET, zeroBlockCrc(MESSAGE_LENGTH), QuantumFrame.ORDER);
        return frame;
    }

    /**
     * Settings under which every batch of link 0->1 fails verification (an intercept-resend eavesdropper on
     * every pair) and the link falls back to classical frames from its first: what a receiver must see
     * before it accepts the classical frames these tests make by hand.
     */
    private static QuantumLinkSettings.Builder fallenBack()
    {
        return QuantumLinkSettings.builder().eavesdropper(0, 1, InterceptResendEavesdropper.everyPair())
            .alarmPolicy(AlarmPolicy.FALLBACK_CLASSICAL);
    }

    /** A classical-flagged data frame of one block whose checksum is wrong, so the receiver asks for it again. */
    private static UnsafeBuffer corruptedClassicalFrame(final long sequence)
    {
        final UnsafeBuffer frame = classicalFrame(sequence);
        frame.putInt(QuantumFrame.DATA_CRCS_OFFSET, ~zeroBlockCrc(MESSAGE_LENGTH), QuantumFrame.ORDER);
        return frame;
    }

    /**
     * The quantum link on rank 0's next link only ({@code sender}) or on rank 1's previous link only;
     * the test drives the classical link at the other end.
     */
    private static LinkWrapper quantumOn(final QuantumLinkSettings settings, final boolean sender)
    {
        final LinkWrapper quantum = settings.wrapper();
        return new LinkWrapper()
        {
            @Override
            public Link wrapNext(final Link link, final int selfRank, final int nextRank)
            {
                return sender && selfRank == 0 ? quantum.wrapNext(link, selfRank, nextRank) : link;
            }

            @Override
            public Link wrapPrevious(final Link link, final int selfRank, final int previousRank)
            {
                return !sender && selfRank == 1 ? quantum.wrapPrevious(link, selfRank, previousRank) : link;
            }
        };
    }

    private static RingContext context(final LinkWrapper wrapper)
    {
        return new RingContext()
            .transport(TransportKind.IN_MEMORY)
            .worldSize(2)
            .chunkLength(CHUNK_LENGTH)
            .inMemoryNetwork(new InMemoryNetwork(2, CHUNK_LENGTH + FrameHeaderFlyweight.HEADER_LENGTH, QUEUE_CAPACITY))
            .connectTimeoutNs(TimeUnit.SECONDS.toNanos(10))
            .operationTimeoutNs(TimeUnit.SECONDS.toNanos(10))
            .linkWrapper(wrapper);
    }

    private static UnsafeBuffer message()
    {
        return new UnsafeBuffer(new byte[MESSAGE_LENGTH]);
    }

    private static long millis(final long nanos)
    {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
