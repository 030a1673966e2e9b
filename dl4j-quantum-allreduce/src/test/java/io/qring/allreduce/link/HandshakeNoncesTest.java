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
import static org.junit.jupiter.api.Assertions.assertThrows;
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
        assertEquals(HandshakeNonces.Proof.VALID, deliverAndAccept(b, a));
        assertArrayEquals(b.selfNonce(), a.peerNonce());
        assertFalse(a.isDone(), "a has not answered b's nonce yet");
        assertFalse(b.isDone(), "b does not hold a's nonce yet");

        assertEquals(HandshakeNonces.Proof.VALID, deliverAndAccept(a, b));
        assertArrayEquals(a.selfNonce(), b.peerNonce());
        assertTrue(a.isDone());
        assertTrue(b.isDone());
        assertEquals(0, a.writeNextProof(buffer()), "nothing more owed");
    }

    @Test
    void shouldKeepTheGenuineHelloAfterAFloodOfReplaysAndAnswerEachNonceOnce()
    {
        final HandshakeNonces side = new HandshakeNonces(2, RANDOM);
        final List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 40; i++)
        {
            final HandshakeNonces replayed = new HandshakeNonces(2, RANDOM);
            assertTrue(side.onHello(hello(replayed), 0, HandshakeNonces.HELLO_LENGTH));
            sent.add(replayed.selfNonce());
        }
        final HandshakeNonces genuine = new HandshakeNonces(2, RANDOM);
        final UnsafeBuffer genuineHello = hello(genuine);
        assertTrue(side.onHello(genuineHello, 0, HandshakeNonces.HELLO_LENGTH));
        assertTrue(side.onHello(genuineHello, 0, HandshakeNonces.HELLO_LENGTH), "a repeated HELLO is read but not queued again");
        sent.add(genuine.selfNonce());

        final List<byte[]> echoed = drain(side);

        final List<byte[]> newest = sent.subList(sent.size() - HandshakeNonces.MAX_PENDING_PROOFS, sent.size());
        assertEquals(newest.size(), echoed.size(), "the queue holds the newest nonces, each once");
        for (int i = 0; i < newest.size(); i++)
        {
            assertArrayEquals(newest.get(i), echoed.get(i),
                "PROOF " + i + " answers the nonces in arrival order, oldest dropped");
        }
        assertTrue(side.onHello(genuineHello, 0, HandshakeNonces.HELLO_LENGTH));
        assertEquals(0, side.writeNextProof(buffer()), "an answered nonce is not answered again");
    }

    @Test
    void shouldAnswerThePeersNonceBeforeAnyQueuedHello()
    {
        final HandshakeNonces a = new HandshakeNonces(2, RANDOM);
        final HandshakeNonces b = new HandshakeNonces(2, RANDOM);
        a.onHello(hello(new HandshakeNonces(2, RANDOM)), 0, HandshakeNonces.HELLO_LENGTH);
        b.onHello(hello(a), 0, HandshakeNonces.HELLO_LENGTH);

        assertEquals(HandshakeNonces.Proof.VALID, deliverAndAccept(b, a));

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
        final HandshakeNonces stranger = new HandshakeNonces(5, RANDOM);
        final HandshakeNonces otherWorld = new HandshakeNonces(5, RANDOM);
        stranger.onHello(hello(new HandshakeNonces(4, RANDOM)), 0, HandshakeNonces.HELLO_LENGTH);
        otherWorld.onHello(hello(a), 0, HandshakeNonces.HELLO_LENGTH);

        assertFalse(a.onHello(buffer(), 0, HandshakeNonces.HELLO_LENGTH - 1));
        assertEquals(HandshakeNonces.Proof.WRONG_LENGTH, a.checkProof(buffer(), 0, HandshakeNonces.PROOF_LENGTH + 1));
        assertEquals(HandshakeNonces.Proof.WRONG_LENGTH, a.checkProof(buffer(), 0, HandshakeNonces.PROOF_LENGTH - 1));
        assertEquals(HandshakeNonces.Proof.ANSWERS_ANOTHER_NONCE, deliver(stranger, a),
            "a foreign echo is a replay whatever world size it carries: it must not end the handshake");
        assertEquals(HandshakeNonces.Proof.OTHER_WORLD_SIZE, deliver(otherWorld, a));
        assertEquals(5, a.peerWorldSize());
        assertNull(a.peerNonce(), "checking a PROOF hands over no nonce");
        assertEquals(0, a.writeNextProof(buffer()), "nor queues one");
        assertThrows(IllegalStateException.class, a::proofSent, "no PROOF was owed");
    }

    private static UnsafeBuffer hello(final HandshakeNonces side)
    {
        final UnsafeBuffer hello = buffer();
        assertEquals(HandshakeNonces.HELLO_LENGTH, side.writeHello(hello));
        return hello;
    }

    /** Hands the sender's first owed PROOF to the receiver to check. */
    private static HandshakeNonces.Proof deliver(final HandshakeNonces sender, final HandshakeNonces receiver)
    {
        return receiver.checkProof(nextProof(sender), 0, HandshakeNonces.PROOF_LENGTH);
    }

    /** Hands the sender's first owed PROOF to the receiver, which accepts its nonce if it is valid, as the link does. */
    private static HandshakeNonces.Proof deliverAndAccept(final HandshakeNonces sender, final HandshakeNonces receiver)
    {
        final UnsafeBuffer proof = nextProof(sender);
        final HandshakeNonces.Proof outcome = receiver.checkProof(proof, 0, HandshakeNonces.PROOF_LENGTH);
        if (HandshakeNonces.Proof.VALID == outcome)
        {
            receiver.accept(HandshakeNonces.senderNonce(proof, 0));
        }
        return outcome;
    }

    private static UnsafeBuffer nextProof(final HandshakeNonces sender)
    {
        final UnsafeBuffer proof = buffer();
        assertEquals(HandshakeNonces.PROOF_LENGTH, sender.writeNextProof(proof));
        sender.proofSent();
        return proof;
    }

    private static List<byte[]> drain(final HandshakeNonces side)
    {
        final List<byte[]> echoed = new ArrayList<>();
        final UnsafeBuffer proof = buffer();
        while (side.writeNextProof(proof) > 0)
        {
            final byte[] echo = new byte[AuthenticatedLink.NONCE_LENGTH];
            proof.getBytes(0, echo);
            echoed.add(echo);
            side.proofSent();
        }
        return echoed;
    }

    private static UnsafeBuffer buffer()
    {
        return new UnsafeBuffer(new byte[HandshakeNonces.PROOF_LENGTH + 8]);
    }
}
