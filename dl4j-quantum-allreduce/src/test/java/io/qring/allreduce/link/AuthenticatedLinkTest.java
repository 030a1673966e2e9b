package io.qring.allreduce.link;

import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LinkLedger;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static io.qring.allreduce.link.FrameHeaderFlyweight.HEADER_LENGTH;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AuthenticatedLinkTest
{
    private static final byte[] SECRET = "a shared secret of the test ring".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_MESSAGE = 1024;
    private static final long SHORT_NS = TimeUnit.MILLISECONDS.toNanos(100);
    /** How much longer than its deadline a flooded receive or connect may take (a noisy, shared machine). */
    private static final long FLOOD_SLACK_NS = TimeUnit.MILLISECONDS.toNanos(1500);
    /** How long a {@link RiggedPipe} floods at most. */
    private static final long FLOOD_CAP_NS = TimeUnit.SECONDS.toNanos(4);

    private InMemoryNetwork network;
    private AuthenticatedLink sender;
    private AuthenticatedLink receiver;

    @BeforeEach
    void setUp()
    {
        network = new InMemoryNetwork(2, MAX_MESSAGE, 8);
        sender = link(network.nextPipe(0), SECRET, 0, 1, 2, true);
        receiver = link(network.previousPipe(1), SECRET, 1, 0, 2, false);
    }

    @AfterEach
    void tearDown()
    {
        sender.close();
        receiver.close();
    }

    @Test
    void shouldAuthenticateThenDeliverWholeMessagesInOrderAndCountThem()
    {
        handshake(sender, receiver);
        final long handshakeBits = 8L * (HEADER_LENGTH + 20) + 8L * (HEADER_LENGTH + 36);
        assertEquals(handshakeBits, sender.ledger().get(LedgerCounter.ONLINE_CLASSICAL_BITS));
        assertEquals(0, sender.ledger().get(LedgerCounter.PAYLOAD_BITS));

        final List<byte[]> sent = List.of(new byte[0], "one".getBytes(StandardCharsets.UTF_8), new byte[MAX_MESSAGE - HEADER_LENGTH]);
        for (final byte[] message : sent)
        {
            sender.send(new UnsafeBuffer(message), 0, message.length, deadline());
        }
        for (final byte[] message : sent)
        {
            assertArrayEquals(message, receiveBytes(receiver));
        }
        final long payloadBits = 8L * (3 + MAX_MESSAGE - HEADER_LENGTH);
        assertEquals(payloadBits, sender.ledger().get(LedgerCounter.PAYLOAD_BITS));
        assertEquals(handshakeBits + payloadBits + 3L * 8 * HEADER_LENGTH, sender.ledger().get(LedgerCounter.ONLINE_CLASSICAL_BITS));
        assertEquals(sender.ledger().get(LedgerCounter.ONLINE_CLASSICAL_BITS),
            sender.ledger().get(LedgerCounter.CLASSICAL_EQUIVALENT_BITS));
        assertEquals(0, receiver.rejectedFrames());
    }

    @Test
    void shouldNeverAuthenticateAPeerWithoutTheSecret()
    {
        final AuthenticatedLink intruder = link(network.nextPipe(0),
            "a different secret entirely!".getBytes(StandardCharsets.US_ASCII), 0, 1, 2, true);
        for (int i = 0; i < 50; i++)
        {
            intruder.doHandshakeWork();
            receiver.doHandshakeWork();
        }
        assertFalse(receiver.isEstablished());
        assertFalse(intruder.isEstablished());
        assertTrue(receiver.rejectedFrames(FrameRejectedException.Reason.BAD_TAG) >= 1);
        assertTrue(intruder.rejectedFrames(FrameRejectedException.Reason.BAD_TAG) >= 1);
        assertThrows(IllegalStateException.class, () -> intruder.send(new UnsafeBuffer(new byte[1]), 0, 1, deadline()));
        intruder.close();
    }

    @Test
    void shouldTimeOutConnectingNamingThePeerAndTheSecretHint()
    {
        final InMemoryNetwork lonely = new InMemoryNetwork(3, MAX_MESSAGE, 8);
        final AuthenticatedLink next = link(lonely.nextPipe(0), SECRET, 0, 1, 3, true);
        final AuthenticatedLink previous = link(lonely.previousPipe(0), SECRET, 0, 2, 3, false);
        final LinkTimeoutException ex = assertThrows(LinkTimeoutException.class, () -> AuthenticatedRingTransport.connect(
            0, 3, next, previous, SHORT_NS, new BackoffIdleStrategy(), List.of()));
        assertTrue(ex.getMessage().contains("rank 1") && ex.getMessage().contains("rank 2"), ex.getMessage());
        assertTrue(ex.getMessage().contains("shared secret"), ex.getMessage());
    }

    @Test
    void shouldDropInjectedGarbageAndStillDeliverTheGenuineMessage()
    {
        handshake(sender, receiver);
        final MessagePipe injector = network.nextPipe(0);
        final UnsafeBuffer garbage = new UnsafeBuffer(new byte[HEADER_LENGTH + 16]);
        final FrameHeaderFlyweight header = new FrameHeaderFlyweight().wrapForEncode(garbage, 0);
        header.encode(FrameHeaderFlyweight.TYPE_DATA, FrameHeaderFlyweight.DIRECTION_FORWARD, 1, 0, 1, 1, 16);
        assertEquals(MessagePipe.OfferStatus.SENT, injector.offer(garbage, 0, HEADER_LENGTH, garbage, HEADER_LENGTH, 16));
        assertEquals(MessagePipe.OfferStatus.SENT, injector.offer(garbage, 0, 10, garbage, 0, 0));

        final byte[] genuine = "genuine".getBytes(StandardCharsets.UTF_8);
        sender.send(new UnsafeBuffer(genuine), 0, genuine.length, deadline());
        assertArrayEquals(genuine, receiveBytes(receiver));
        assertEquals(2, receiver.rejectedFrames());
        assertEquals(1, receiver.rejectedFrames(FrameRejectedException.Reason.BAD_TAG));
        assertEquals(1, receiver.rejectedFrames(FrameRejectedException.Reason.TRUNCATED));
    }

    /**
     * 100,000 forged frames through a live link, 1,000 ahead of each of 100 genuine messages: copies of the
     * genuine frame with one bit flipped, cut short or lengthened, replays of earlier frames, and random
     * bytes. Every forged frame is dropped and counted, every genuine message arrives once and in order,
     * and the link works on afterwards.
     */
    @Test
    void shouldDropEveryFuzzedFrameOfALiveLinkAndDeliverEveryGenuineMessageInOrder()
    {
        final int rounds = 100;
        final int forgedPerRound = 1_000;
        final InMemoryNetwork wide = new InMemoryNetwork(2, MAX_MESSAGE, forgedPerRound + 1);
        final AuthenticatedLink wideSender = link(wide.nextPipe(0), SECRET, 0, 1, 2, true);
        final AuthenticatedLink wideReceiver = link(wide.previousPipe(1), SECRET, 1, 0, 2, false);
        handshake(wideSender, wideReceiver);
        final MessagePipe tap = wide.previousPipe(1);
        final MessagePipe injector = wide.nextPipe(0);
        final SplittableRandom random = new SplittableRandom(2026);
        final List<byte[]> earlier = new ArrayList<>();
        long forged = 0;
        for (int round = 0; round < rounds; round++)
        {
            final byte[] message = new byte[random.nextInt(0, 200)];
            random.nextBytes(message);
            wideSender.send(new UnsafeBuffer(message), 0, message.length, deadline());
            final byte[] genuine = takeFrame(tap);
            for (int i = 0; i < forgedPerRound; i++)
            {
                offerFrame(injector, forgery(genuine, earlier, random));
                forged++;
            }
            offerFrame(injector, genuine);
            earlier.add(genuine);

            assertArrayEquals(message, receiveBytes(wideReceiver), "round " + round);
            assertEquals(forged, wideReceiver.rejectedFrames(), "every forged frame ahead of round " + round + " was dropped");
        }
        final byte[] after = "after".getBytes(StandardCharsets.UTF_8);
        wideSender.send(new UnsafeBuffer(after), 0, after.length, deadline());
        assertArrayEquals(after, receiveBytes(wideReceiver));
        assertEquals(rounds * (long)forgedPerRound, wideReceiver.rejectedFrames());
        assertEquals(rounds * (long)forgedPerRound, wideReceiver.ledger().get(LedgerCounter.REJECTED_FRAMES), "the ledger counts them too");
        assertEquals(0, wideSender.ledger().get(LedgerCounter.REJECTED_FRAMES), "the sender dropped none");
        wideSender.close();
        wideReceiver.close();
    }

    @Test
    void shouldDropReplayedFrameAndFailLoudlyOnAMissingOne()
    {
        handshake(sender, receiver);
        final MessagePipe tap = network.previousPipe(1);
        final byte[] first = "first".getBytes(StandardCharsets.UTF_8);
        sender.send(new UnsafeBuffer(first), 0, first.length, deadline());
        final byte[] stolen = takeFrame(tap);
        final MessagePipe injector = network.nextPipe(0);
        offerFrame(injector, stolen);
        offerFrame(injector, stolen);
        assertArrayEquals(first, receiveBytes(receiver));

        final byte[] second = "second".getBytes(StandardCharsets.UTF_8);
        sender.send(new UnsafeBuffer(second), 0, second.length, deadline());
        assertArrayEquals(second, receiveBytes(receiver));
        assertEquals(1, receiver.rejectedFrames(FrameRejectedException.Reason.REPLAYED));

        sender.send(new UnsafeBuffer(first), 0, first.length, deadline());
        tap.poll((buffer, offset, length, session) -> { }, 1);
        sender.send(new UnsafeBuffer(second), 0, second.length, deadline());
        final FrameRejectedException gap = assertThrows(FrameRejectedException.class, () -> receiveBytes(receiver));
        assertEquals(FrameRejectedException.Reason.SEQUENCE_GAP, gap.reason());
        assertTrue(gap.getMessage().contains("rank 0"), gap.getMessage());
    }

    @Test
    void shouldTimeOutReceivingNamingThePeer()
    {
        handshake(sender, receiver);
        final long start = System.nanoTime();
        final LinkTimeoutException ex = assertThrows(LinkTimeoutException.class,
            () -> receiver.receive((buffer, offset, length) -> { }, System.nanoTime() + SHORT_NS));
        assertTrue(System.nanoTime() - start >= SHORT_NS);
        assertEquals("rank 0", ex.peerName());
        assertTrue(ex.getMessage().contains("waiting for a message from rank 0"), ex.getMessage());
    }

    @Test
    void shouldTimeOutSendingWhenTheReaderFallsBehind()
    {
        handshake(sender, receiver);
        final UnsafeBuffer message = new UnsafeBuffer(new byte[8]);
        final LinkTimeoutException ex = assertThrows(LinkTimeoutException.class, () ->
        {
            for (int i = 0; i < 100; i++)
            {
                sender.send(message, 0, 8, System.nanoTime() + SHORT_NS);
            }
        });
        assertTrue(ex.getMessage().contains("BACK_PRESSURED") && ex.getMessage().contains("rank 1"), ex.getMessage());
    }

    @Test
    void shouldReportPeerGoneWhenItClosesItsEnd()
    {
        handshake(sender, receiver);
        final byte[] last = {42};
        sender.send(new UnsafeBuffer(last), 0, 1, deadline());
        sender.close();
        assertArrayEquals(last, receiveBytes(receiver));
        final PeerFailedException ex = assertThrows(PeerFailedException.class, () -> receiveBytes(receiver));
        assertTrue(ex.getMessage().contains("rank 0"), ex.getMessage());
        assertThrows(PeerFailedException.class, () -> receiver.send(new UnsafeBuffer(last), 0, 1, deadline()));
        assertThrows(LinkClosedException.class, () -> sender.send(new UnsafeBuffer(last), 0, 1, deadline()));
    }

    @Test
    void shouldCarryTheAbortReasonToThePeer()
    {
        handshake(sender, receiver);
        sender.abort("rank 7 exploded");
        final PeerFailedException ex = assertThrows(PeerFailedException.class, () -> receiveBytes(receiver));
        assertEquals("rank 7 exploded", ex.abortReason());
        assertTrue(ex.getMessage().contains("rank 0 aborted: rank 7 exploded"), ex.getMessage());
        final LinkClosedException closed = assertThrows(LinkClosedException.class,
            () -> sender.send(new UnsafeBuffer(new byte[1]), 0, 1, deadline()));
        assertTrue(closed.getMessage().contains("rank 7 exploded"));
    }

    @Test
    void shouldFindTheAbortReasonOfAPeerThatStoppedReadingBehindTheDataItSentBack()
    {
        handshake(sender, receiver);
        final UnsafeBuffer message = new UnsafeBuffer(new byte[8]);
        receiver.send(message, 0, 8, deadline());
        receiver.send(message, 0, 8, deadline());
        receiver.abort("rank 1 could not join: its settings differ from rank 2's");
        receiver.close();
        final PeerFailedException ex = assertThrows(PeerFailedException.class, () -> sender.send(message, 0, 8, deadline()));
        assertTrue(ex.getMessage().contains("rank 1 is no longer reading"), ex.getMessage());
        assertNull(ex.abortReason());
        assertEquals("rank 1 could not join: its settings differ from rank 2's", sender.awaitPeerAbortReason(deadline()));
        assertEquals(0, sender.rejectedFrames());
    }

    @Test
    void shouldStopLookingForAnAbortReasonWhenThePeersStreamEndsWithoutOne()
    {
        handshake(sender, receiver);
        receiver.send(new UnsafeBuffer(new byte[8]), 0, 8, deadline());
        receiver.close();
        final long start = System.nanoTime();
        assertNull(sender.awaitPeerAbortReason(System.nanoTime() + TimeUnit.SECONDS.toNanos(30)));
        final long elapsed = System.nanoTime() - start;
        assertTrue(elapsed < TimeUnit.SECONDS.toNanos(5), "looked for " + TimeUnit.NANOSECONDS.toMillis(elapsed) + " ms");
    }

    @Test
    void shouldStopLookingForAnAbortReasonAtTheDeadlineWhileGarbageKeepsArriving()
    {
        final AuthenticatedLink flooded = floodedReceiver();
        final long start = System.nanoTime();
        assertNull(flooded.awaitPeerAbortReason(System.nanoTime() + SHORT_NS));
        final long elapsed = System.nanoTime() - start;
        assertTrue(elapsed < SHORT_NS + FLOOD_SLACK_NS, "looked for " + TimeUnit.NANOSECONDS.toMillis(elapsed) + " ms");
        assertTrue(flooded.rejectedFrames(FrameRejectedException.Reason.BAD_MAGIC) > 0);
        flooded.close();
    }

    @Test
    void shouldTimeOutReceivingAtTheDeadlineWhileGarbageKeepsArriving()
    {
        final AuthenticatedLink flooded = floodedReceiver();
        final long start = System.nanoTime();
        final LinkTimeoutException ex = assertThrows(LinkTimeoutException.class,
            () -> flooded.receive((buffer, offset, length) -> { }, System.nanoTime() + SHORT_NS));
        final long elapsed = System.nanoTime() - start;
        assertTrue(elapsed < SHORT_NS + FLOOD_SLACK_NS, "receive took " + TimeUnit.NANOSECONDS.toMillis(elapsed) + " ms");
        assertTrue(flooded.rejectedFrames(FrameRejectedException.Reason.BAD_MAGIC) > 0);
        assertTrue(ex.getMessage().contains("rejected") && ex.getMessage().contains("BAD_MAGIC"), ex.getMessage());
        flooded.close();
    }

    @Test
    void shouldTimeOutConnectingAtTheDeadlineWhileGarbageKeepsArriving()
    {
        final RiggedPipe nextPipe = new RiggedPipe(null);
        final RiggedPipe previousPipe = new RiggedPipe(null);
        nextPipe.flood();
        previousPipe.flood();
        final AuthenticatedLink next = link(nextPipe, SECRET, 0, 1, 3, true);
        final AuthenticatedLink previous = link(previousPipe, SECRET, 0, 2, 3, false);
        final long start = System.nanoTime();
        final LinkTimeoutException ex = assertThrows(LinkTimeoutException.class, () -> AuthenticatedRingTransport.connect(
            0, 3, next, previous, SHORT_NS, new BackoffIdleStrategy(), List.of()));
        final long elapsed = System.nanoTime() - start;
        assertTrue(elapsed < SHORT_NS + FLOOD_SLACK_NS, "connect took " + TimeUnit.NANOSECONDS.toMillis(elapsed) + " ms");
        assertTrue(ex.getMessage().contains("rejected") && ex.getMessage().contains("BAD_MAGIC"), ex.getMessage());
    }

    /** Aeron's ADMIN_ACTION (a log rotation in progress) is retried; the frame then goes out with its own sequence number. */
    @Test
    void shouldRetryAnOfferRefusedForAnAdminActionAndDeliverInOrder()
    {
        final RiggedPipe pipe = new RiggedPipe(network.nextPipe(0));
        final AuthenticatedLink rigged = link(pipe, SECRET, 0, 1, 2, true);
        handshake(rigged, receiver);
        pipe.refuseNextOffers(MessagePipe.OfferStatus.ADMIN_ACTION, MessagePipe.OfferStatus.ADMIN_ACTION);

        rigged.send(new UnsafeBuffer("first".getBytes(StandardCharsets.UTF_8)), 0, 5, deadline());
        rigged.send(new UnsafeBuffer("second".getBytes(StandardCharsets.UTF_8)), 0, 6, deadline());

        assertEquals(0, pipe.refusalsLeft(), "both refusals were met");
        assertArrayEquals("first".getBytes(StandardCharsets.UTF_8), receiveBytes(receiver));
        assertArrayEquals("second".getBytes(StandardCharsets.UTF_8), receiveBytes(receiver));
        assertEquals(0, receiver.rejectedFrames(), "a retried frame reuses no sequence number");
        rigged.close();
    }

    @Test
    void shouldFailASendAtTheStreamsMaximumPositionNamingThePeer()
    {
        final RiggedPipe pipe = new RiggedPipe(network.nextPipe(0));
        final AuthenticatedLink rigged = link(pipe, SECRET, 0, 1, 2, true);
        handshake(rigged, receiver);
        pipe.refuseNextOffers(MessagePipe.OfferStatus.MAX_POSITION_EXCEEDED);

        final LinkClosedException ex = assertThrows(LinkClosedException.class,
            () -> rigged.send(new UnsafeBuffer(new byte[8]), 0, 8, deadline()));

        assertEquals("rank 1", ex.peerName());
        assertTrue(ex.getMessage().contains("reached its maximum position"), ex.getMessage());
        rigged.close();
    }

    @Test
    void shouldCarryTheAbortReasonAfterASendTimedOut()
    {
        handshake(sender, receiver);
        final UnsafeBuffer message = new UnsafeBuffer(new byte[8]);
        int sent = 0;
        try
        {
            while (sent < 100)
            {
                sender.send(message, 0, 8, System.nanoTime() + SHORT_NS);
                sent++;
            }
        }
        catch (final LinkTimeoutException ex)
        {
            assertTrue(ex.getMessage().contains("BACK_PRESSURED"), ex.getMessage());
        }
        assertTrue(sent < 100, "the reader never fell behind");

        receiveBytes(receiver);
        sender.abort("rank 0 failed: a send timed out");
        for (int i = 1; i < sent; i++)
        {
            receiveBytes(receiver);
        }
        final PeerFailedException ex = assertThrows(PeerFailedException.class, () -> receiveBytes(receiver));
        assertEquals("rank 0 failed: a send timed out", ex.abortReason());
        assertEquals(0, receiver.rejectedFrames());
    }

    @Test
    void shouldReportALocalCloseDuringAReceiveAsAClosedLink()
    {
        final RiggedPipe pipe = new RiggedPipe(network.previousPipe(1));
        final AuthenticatedLink closing = link(pipe, SECRET, 1, 0, 2, false);
        handshake(sender, closing);
        pipe.beforePoll(closing::close);
        final LinkClosedException ex = assertThrows(LinkClosedException.class,
            () -> closing.receive((buffer, offset, length) -> { }, deadline()));
        assertTrue(ex.getMessage().contains("was closed"), ex.getMessage());
    }

    @Test
    void shouldCutTheAbortReasonToWhatTheLinkCarries()
    {
        final int maxPayload = 40;
        final InMemoryNetwork narrow = new InMemoryNetwork(2, HEADER_LENGTH + maxPayload, 8);
        final AuthenticatedLink narrowSender = link(narrow.nextPipe(0), SECRET, 0, 1, 2, true);
        final AuthenticatedLink narrowReceiver = link(narrow.previousPipe(1), SECRET, 1, 0, 2, false);
        handshake(narrowSender, narrowReceiver);
        narrowSender.abort("x" + "\u00e9".repeat(100));
        final PeerFailedException ex = assertThrows(PeerFailedException.class, () -> narrowReceiver.receive(
            (buffer, offset, length) -> { }, System.nanoTime() + TimeUnit.SECONDS.toNanos(1)));
        assertEquals("x" + "\u00e9".repeat(19), ex.abortReason());
        narrowSender.close();
        narrowReceiver.close();
    }

    @Test
    void shouldCutUtf8AtACharacterBoundary()
    {
        final byte[] utf8 = "a\u00e9\u20ac".getBytes(StandardCharsets.UTF_8);
        assertEquals(6, AuthenticatedLink.utf8Prefix(utf8, 10));
        assertEquals(6, AuthenticatedLink.utf8Prefix(utf8, 6));
        assertEquals(3, AuthenticatedLink.utf8Prefix(utf8, 5));
        assertEquals(3, AuthenticatedLink.utf8Prefix(utf8, 4));
        assertEquals(3, AuthenticatedLink.utf8Prefix(utf8, 3));
        assertEquals(1, AuthenticatedLink.utf8Prefix(utf8, 2));
        assertEquals(0, AuthenticatedLink.utf8Prefix(utf8, 0));
    }

    @Test
    void shouldConsumeTheMessageWhenTheHandlerThrows()
    {
        handshake(sender, receiver);
        sender.send(new UnsafeBuffer(new byte[]{1}), 0, 1, deadline());
        sender.send(new UnsafeBuffer(new byte[]{2}), 0, 1, deadline());
        assertThrows(ArithmeticException.class, () -> receiver.receive((buffer, offset, length) ->
        {
            throw new ArithmeticException("handler failed");
        }, deadline()));
        assertArrayEquals(new byte[]{2}, receiveBytes(receiver));
    }

    @Test
    void shouldRefuseMessagesLongerThanTheLinkCarries()
    {
        handshake(sender, receiver);
        final int tooLong = sender.maxMessageLength() + 1;
        assertEquals(MAX_MESSAGE - HEADER_LENGTH, sender.maxMessageLength());
        assertThrows(IllegalArgumentException.class,
            () -> sender.send(new UnsafeBuffer(new byte[tooLong]), 0, tooLong, deadline()));
    }

    @Test
    void shouldFailHandshakeWhenMembersDisagreeOnWorldSize()
    {
        final AuthenticatedLink confused = link(network.nextPipe(0), SECRET, 0, 1, 3, true);
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () ->
        {
            for (int i = 0; i < 50; i++)
            {
                confused.doHandshakeWork();
                receiver.doHandshakeWork();
            }
        });
        assertTrue(ex.getMessage().contains("world size"), ex.getMessage());
        confused.close();
    }

    @Test
    void shouldIgnoreTheWorldSizeOfAReplayedHello()
    {
        inject(network.nextPipe(0), recordedHello(3));
        handshake(sender, receiver);
        assertEquals(1, sender.rejectedFrames(FrameRejectedException.Reason.REPLAYED), "the replay was answered, harmlessly");
    }

    @Test
    void shouldAuthenticateDespiteReplayedHellosAheadOfTheGenuineOne()
    {
        final InMemoryNetwork roomy = new InMemoryNetwork(2, MAX_MESSAGE, 64);
        final AuthenticatedLink roomySender = link(roomy.nextPipe(0), SECRET, 0, 1, 2, true);
        final AuthenticatedLink roomyReceiver = link(roomy.previousPipe(1), SECRET, 1, 0, 2, false);
        final List<byte[]> replays = new ArrayList<>();
        for (int i = 0; i < 20; i++)
        {
            replays.add(recordedHello(2));
        }
        final MessagePipe injector = roomy.nextPipe(0);
        for (int round = 0; round < 2; round++)
        {
            replays.forEach(replay -> inject(injector, replay));
        }
        roomySender.doHandshakeWork();
        final MessagePipe jammer = roomy.previousPipe(1);
        final UnsafeBuffer garbage = new UnsafeBuffer(new byte[HEADER_LENGTH]);
        while (MessagePipe.OfferStatus.SENT == jammer.offer(garbage, 0, HEADER_LENGTH, garbage, 0, 0))
        {
            assertFalse(roomySender.isEstablished());
        }
        for (int i = 0; i < 4; i++)
        {
            roomyReceiver.doHandshakeWork();
        }

        handshake(roomySender, roomyReceiver);
        roomySender.close();
        roomyReceiver.close();
    }

    @Test
    void shouldCloseThePipesAndResourcesWhenBuildingTheLinksFails()
    {
        final List<String> closed = new ArrayList<>();
        final MessagePipe nextPipe = closeRecorder("next pipe", closed);
        final MessagePipe previousPipe = closeRecorder("previous pipe", closed);
        final IllegalStateException failure = new IllegalStateException("no idle strategy today");
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> AuthenticatedRingTransport.authenticate(
            0, 2, 1, new MembershipSecret(SECRET), nextPipe, "rank 1", previousPipe, "rank 1",
            () ->
            {
                throw failure;
            },
            SHORT_NS, List.of(() -> closed.add("driver"))));
        assertEquals(failure, ex);
        assertEquals(List.of("next pipe", "previous pipe", "driver"), closed);
    }

    /**
     * A pipe that can be made to deliver garbage on every poll (for {@link AuthenticatedLinkTest#FLOOD_CAP_NS} at most, so a
     * receive that ignores its deadline still ends and fails its test instead of spinning forever), run
     * a hook before a poll, and, like an Aeron pipe whose subscription closed its images, report the
     * peer gone once closed. Offers go to the delegate, or find nobody reading without one.
     */
    private static final class RiggedPipe implements MessagePipe
    {
        private final MessagePipe delegate;
        private final UnsafeBuffer garbage = new UnsafeBuffer(new byte[64]);
        private long floodUntilNs;
        private boolean flooding;
        private Runnable beforePoll;
        private boolean closed;
        private final ArrayDeque<OfferStatus> refusals = new ArrayDeque<>();

        RiggedPipe(final MessagePipe delegate)
        {
            this.delegate = delegate;
        }

        void flood()
        {
            flooding = true;
            floodUntilNs = System.nanoTime() + FLOOD_CAP_NS;
        }

        void beforePoll(final Runnable hook)
        {
            beforePoll = hook;
        }

        /** The next offers return these outcomes, in order, without offering. */
        void refuseNextOffers(final OfferStatus... outcomes)
        {
            refusals.addAll(List.of(outcomes));
        }

        int refusalsLeft()
        {
            return refusals.size();
        }

        @Override
        public OfferStatus offer(
            final DirectBuffer header,
            final int headerOffset,
            final int headerLength,
            final DirectBuffer payload,
            final int payloadOffset,
            final int payloadLength)
        {
            if (closed)
            {
                return OfferStatus.CLOSED;
            }
            if (!refusals.isEmpty())
            {
                return refusals.poll();
            }
            return null == delegate ? OfferStatus.NOT_CONNECTED :
                delegate.offer(header, headerOffset, headerLength, payload, payloadOffset, payloadLength);
        }

        @Override
        public int poll(final MessageConsumer consumer, final int fragmentLimit)
        {
            if (null != beforePoll)
            {
                final Runnable hook = beforePoll;
                beforePoll = null;
                hook.run();
            }
            if (closed)
            {
                return 0;
            }
            if (flooding && System.nanoTime() - floodUntilNs < 0)
            {
                consumer.onMessage(garbage, 0, garbage.capacity(), 7);
                return 1;
            }
            return null == delegate ? 0 : delegate.poll(consumer, fragmentLimit);
        }

        @Override
        public void acceptOnlySession(final int sessionId)
        {
            if (null != delegate)
            {
                delegate.acceptOnlySession(sessionId);
            }
        }

        @Override
        public String peerGoneReason()
        {
            if (closed)
            {
                return "its stream went away (image closed)";
            }
            return null == delegate ? null : delegate.peerGoneReason();
        }

        @Override
        public int maxMessageLength()
        {
            return null == delegate ? MAX_MESSAGE : delegate.maxMessageLength();
        }

        @Override
        public String describe()
        {
            return "rigged pipe";
        }

        @Override
        public void close()
        {
            closed = true;
            if (null != delegate)
            {
                delegate.close();
            }
        }
    }

    private static MessagePipe closeRecorder(final String name, final List<String> closed)
    {
        return (MessagePipe)Proxy.newProxyInstance(MessagePipe.class.getClassLoader(), new Class<?>[]{MessagePipe.class},
            (proxy, method, args) ->
            {
                if (!"close".equals(method.getName()))
                {
                    throw new UnsupportedOperationException(method.getName());
                }
                closed.add(name);
                return null;
            });
    }

    /**
     * @param worldSize the world size of the earlier run.
     * @return the HELLO rank 0 sent rank 1 in an earlier run of the ring (same secret and ring id).
     */
    private static byte[] recordedHello(final int worldSize)
    {
        final InMemoryNetwork past = new InMemoryNetwork(2, MAX_MESSAGE, 8);
        final AuthenticatedLink pastSender = link(past.nextPipe(0), SECRET, 0, 1, worldSize, true);
        pastSender.doHandshakeWork();
        final List<byte[]> recorded = new ArrayList<>();
        assertEquals(1, past.previousPipe(1).poll((buffer, offset, length, session) ->
        {
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            recorded.add(copy);
        }, 1));
        pastSender.close();
        return recorded.get(0);
    }

    private static void inject(final MessagePipe injector, final byte[] frame)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        assertEquals(MessagePipe.OfferStatus.SENT,
            injector.offer(buffer, 0, HEADER_LENGTH, buffer, HEADER_LENGTH, frame.length - HEADER_LENGTH));
    }

    /** @return rank 1's end of the link from the test's sender, authenticated, then flooded with garbage. */
    private AuthenticatedLink floodedReceiver()
    {
        final RiggedPipe pipe = new RiggedPipe(network.previousPipe(1));
        final AuthenticatedLink flooded = link(pipe, SECRET, 1, 0, 2, false);
        handshake(sender, flooded);
        pipe.flood();
        return flooded;
    }

    /** A frame that differs from {@code genuine} and is no frame the receiver has yet to accept. */
    private static byte[] forgery(final byte[] genuine, final List<byte[]> earlier, final SplittableRandom random)
    {
        switch (random.nextInt(5))
        {
            case 0 ->
            {
                final byte[] flipped = genuine.clone();
                flipped[random.nextInt(flipped.length)] ^= (byte)(1 << random.nextInt(8));
                return flipped;
            }
            case 1 ->
            {
                return Arrays.copyOf(genuine, random.nextInt(genuine.length));
            }
            case 2 ->
            {
                return Arrays.copyOf(genuine, genuine.length + 1 + random.nextInt(64));
            }
            case 3 ->
            {
                if (!earlier.isEmpty())
                {
                    return earlier.get(random.nextInt(earlier.size()));
                }
                final byte[] noise = new byte[random.nextInt(1, MAX_MESSAGE)];
                random.nextBytes(noise);
                return noise;
            }
            default ->
            {
                final byte[] noise = new byte[random.nextInt(1, MAX_MESSAGE)];
                random.nextBytes(noise);
                return noise;
            }
        }
    }

    private static byte[] takeFrame(final MessagePipe tap)
    {
        final List<byte[]> taken = new ArrayList<>();
        assertEquals(1, tap.poll((buffer, offset, length, session) ->
        {
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            taken.add(copy);
        }, 1));
        return taken.get(0);
    }

    private static void offerFrame(final MessagePipe injector, final byte[] frame)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        final int headerLength = Math.min(HEADER_LENGTH, frame.length);
        assertEquals(MessagePipe.OfferStatus.SENT,
            injector.offer(buffer, 0, headerLength, buffer, headerLength, frame.length - headerLength));
    }

    private static void handshake(final AuthenticatedLink a, final AuthenticatedLink b)
    {
        for (int i = 0; i < 100 && !(a.isEstablished() && b.isEstablished()); i++)
        {
            a.doHandshakeWork();
            b.doHandshakeWork();
        }
        assertTrue(a.isEstablished() && b.isEstablished(), a.handshakeProgress() + " / " + b.handshakeProgress());
    }

    private static byte[] receiveBytes(final AuthenticatedLink link)
    {
        final List<byte[]> received = new ArrayList<>();
        link.receive((buffer, offset, length) ->
        {
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            received.add(copy);
        }, deadline());
        return received.get(0);
    }

    private static long deadline()
    {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    }

    private static AuthenticatedLink link(
        final MessagePipe pipe, final byte[] secret, final int self, final int peer, final int worldSize, final boolean forward)
    {
        return new AuthenticatedLink(pipe, new MembershipSecret(secret), 1, self, peer, worldSize, forward, "rank " + peer,
            new LinkLedger(LinkLedger.linkName(self, peer)), new BackoffIdleStrategy(), new BackoffIdleStrategy(), new SecureRandom());
    }
}
