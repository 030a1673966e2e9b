package io.qring.allreduce.link;

import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LinkLedger;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.qring.allreduce.link.FrameHeaderFlyweight.HEADER_LENGTH;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AuthenticatedLinkTest
{
    private static final byte[] SECRET = "a shared secret of the test ring".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_MESSAGE = 1024;
    private static final long SHORT_NS = TimeUnit.MILLISECONDS.toNanos(100);

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

    @Test
    void shouldDropReplayedFrameAndFailLoudlyOnAMissingOne()
    {
        handshake(sender, receiver);
        final MessagePipe tap = network.previousPipe(1);
        final byte[] first = "first".getBytes(StandardCharsets.UTF_8);
        sender.send(new UnsafeBuffer(first), 0, first.length, deadline());
        final List<byte[]> stolen = new ArrayList<>();
        assertEquals(1, tap.poll((buffer, offset, length, session) ->
        {
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            stolen.add(copy);
        }, 1));
        final MessagePipe injector = network.nextPipe(0);
        final UnsafeBuffer frame = new UnsafeBuffer(stolen.get(0));
        injector.offer(frame, 0, HEADER_LENGTH, frame, HEADER_LENGTH, frame.capacity() - HEADER_LENGTH);
        injector.offer(frame, 0, HEADER_LENGTH, frame, HEADER_LENGTH, frame.capacity() - HEADER_LENGTH);
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
