package io.qring.allreduce.link;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HandshakeNoncesTest
{
    private static final SecureRandom RANDOM = new SecureRandom();

    @Test
    void shouldCompleteOnBothSidesOnceEachHoldsAndHasAnsweredTheOthersNonce()
    {
        final HandshakeNonces a = new HandshakeNonces(3, RANDOM);
        final HandshakeNonces b = new HandshakeNonces(3, RANDOM);

        assertTrue(b.onHello(hello(a), 0, HandshakeNonces.HELLO_LENGTH));
        assertEquals(HandshakeNonces.Proof.ACCEPTED, deliverProof(b, a));
        assertArrayEquals(b.selfNonce(), a.peerNonce());
        assertFalse(a.isDone(), "a has not answered b's nonce yet");
        assertFalse(b.isDone(), "b does not hold a's nonce yet");

        assertEquals(HandshakeNonces.Proof.ACCEPTED, deliverProof(a, b));
        assertArrayEquals(a.selfNonce(), b.peerNonce());
        assertTrue(a.isDone());
        assertTrue(b.isDone());
        assertEquals(0, a.writeNextProof(buffer()), "nothing more owed");
    }

    @Test
    void shouldKeepTheGenuineHelloAfterAFloodOfReplaysAndQueueEachNonceOnce()
    {
        final HandshakeNonces side = new HandshakeNonces(2, RANDOM);
        for (int i = 0; i < 40; i++)
        {
            assertTrue(side.onHello(hello(new HandshakeNonces(2, RANDOM)), 0, HandshakeNonces.HELLO_LENGTH));
        }
        final HandshakeNonces genuine = new HandshakeNonces(2, RANDOM);
        final UnsafeBuffer genuineHello = hello(genuine);
        assertTrue(side.onHello(genuineHello, 0, HandshakeNonces.HELLO_LENGTH));
        assertTrue(side.onHello(genuineHello, 0, HandshakeNonces.HELLO_LENGTH), "a repeated HELLO is accepted but not queued again");

        final List<byte[]> echoed = new ArrayList<>();
        final UnsafeBuffer proof = buffer();
        while (side.writeNextProof(proof) > 0)
        {
            final byte[] echo = new byte[AuthenticatedLink.NONCE_LENGTH];
            proof.getBytes(0, echo);
            echoed.add(echo);
            side.proofSent();
        }

        assertEquals(16, echoed.size(), "the queue holds the 16 newest nonces");
        assertArrayEquals(genuine.selfNonce(), echoed.get(15), "the genuine HELLO, last in, is answered");
    }

    @Test
    void shouldAnswerThePeersNonceBeforeAnyQueuedHello()
    {
        final HandshakeNonces a = new HandshakeNonces(2, RANDOM);
        final HandshakeNonces b = new HandshakeNonces(2, RANDOM);
        a.onHello(hello(new HandshakeNonces(2, RANDOM)), 0, HandshakeNonces.HELLO_LENGTH);
        b.onHello(hello(a), 0, HandshakeNonces.HELLO_LENGTH);

        assertEquals(HandshakeNonces.Proof.ACCEPTED, deliverProof(b, a));

        final UnsafeBuffer proof = buffer();
        assertEquals(HandshakeNonces.PROOF_LENGTH, a.writeNextProof(proof));
        final byte[] echo = new byte[AuthenticatedLink.NONCE_LENGTH];
        proof.getBytes(0, echo);
        assertArrayEquals(b.selfNonce(), echo);
    }

    @Test
    void shouldRefuseProofsOfTheWrongLengthForAnotherNonceOrWorldSize()
    {
        final HandshakeNonces a = new HandshakeNonces(4, RANDOM);
        final HandshakeNonces stranger = new HandshakeNonces(4, RANDOM);
        final HandshakeNonces otherWorld = new HandshakeNonces(5, RANDOM);
        stranger.onHello(hello(new HandshakeNonces(4, RANDOM)), 0, HandshakeNonces.HELLO_LENGTH);
        otherWorld.onHello(hello(a), 0, HandshakeNonces.HELLO_LENGTH);

        assertFalse(a.onHello(buffer(), 0, HandshakeNonces.HELLO_LENGTH - 1));
        assertEquals(HandshakeNonces.Proof.WRONG_LENGTH, a.onProof(buffer(), 0, HandshakeNonces.PROOF_LENGTH + 1));
        assertEquals(HandshakeNonces.Proof.ANSWERS_ANOTHER_NONCE, deliverProof(stranger, a));
        assertEquals(HandshakeNonces.Proof.OTHER_WORLD_SIZE, deliverProof(otherWorld, a));
        assertEquals(5, a.peerWorldSize());
        assertNull(a.peerNonce(), "no refused PROOF hands over a nonce");
        assertEquals(0, a.writeNextProof(buffer()), "nor queues one");
    }

    private static UnsafeBuffer hello(final HandshakeNonces side)
    {
        final UnsafeBuffer hello = buffer();
        assertEquals(HandshakeNonces.HELLO_LENGTH, side.writeHello(hello));
        return hello;
    }

    /** Hands the sender's first owed PROOF to the receiver. */
    private static HandshakeNonces.Proof deliverProof(final HandshakeNonces sender, final HandshakeNonces receiver)
    {
        final UnsafeBuffer proof = buffer();
        final int length = sender.writeNextProof(proof);
        assertEquals(HandshakeNonces.PROOF_LENGTH, length);
        sender.proofSent();
        return receiver.onProof(proof, 0, length);
    }

    private static UnsafeBuffer buffer()
    {
        return new UnsafeBuffer(new byte[HandshakeNonces.PROOF_LENGTH + 8]);
    }
}
