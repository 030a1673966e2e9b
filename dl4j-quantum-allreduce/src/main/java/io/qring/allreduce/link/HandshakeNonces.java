package io.qring.allreduce.link;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The nonces of one side of an {@link AuthenticatedLink}'s handshake, and the HELLO and PROOF payloads
 * that carry them, without I/O. Each side announces a fresh nonce in a HELLO, and answers every HELLO
 * with a PROOF echoing the nonce it answers, then its own nonce, then its world size (each frame tagged
 * under the ring's handshake key). A PROOF echoing this side's fresh nonce is the peer's: it proves the
 * peer holds the secret now, not in an earlier run, and hands over the peer's nonce, from which the
 * session keys derive. The handshake is done once this side holds the peer's nonce and has answered it.
 * <p>
 * HELLOs decide nothing (an authentic one may be replayed from an earlier run): a nonce already queued
 * or answered is not queued again, and when the queue is full the oldest entry makes room, so replays
 * ahead of the genuine HELLO cannot crowd it out. Not thread-safe: the handshake runs on one thread.
 */
final class HandshakeNonces
{
    /** Bytes of a HELLO payload: the nonce, then the world size (int). */
    static final int HELLO_LENGTH = AuthenticatedLink.NONCE_LENGTH + Integer.BYTES;
    /** Bytes of a PROOF payload: the echoed nonce, the sender's own nonce, then the world size (int). */
    static final int PROOF_LENGTH = 2 * AuthenticatedLink.NONCE_LENGTH + Integer.BYTES;

    /** What a PROOF turned out to be. */
    enum Proof
    {
        /** The peer's answer to this side's nonce: its nonce is now {@link #peerNonce()}. */
        ACCEPTED,
        /** Not {@link #PROOF_LENGTH} bytes long. */
        WRONG_LENGTH,
        /** It echoes a nonce this side did not send in this handshake (a replay). */
        ANSWERS_ANOTHER_NONCE,
        /** The peer holds the secret but counts another world size ({@link #peerWorldSize()}). */
        OTHER_WORLD_SIZE
    }

    private static final int NONCE_LENGTH = AuthenticatedLink.NONCE_LENGTH;
    private static final int MAX_PENDING_PROOFS = 16;
    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private final int worldSize;
    private final byte[] selfNonce = new byte[NONCE_LENGTH];
    private final ArrayDeque<byte[]> pendingProofs = new ArrayDeque<>();
    private final List<byte[]> answeredNonces = new ArrayList<>();
    private byte[] peerNonce;
    private int peerWorldSize;

    /**
     * @param worldSize this side's world size, sent in its HELLO and PROOFs and checked in the peer's PROOF.
     * @param random    source of this side's fresh nonce.
     */
    HandshakeNonces(final int worldSize, final SecureRandom random)
    {
        this.worldSize = worldSize;
        random.nextBytes(selfNonce);
    }

    /**
     * @return this side's fresh nonce.
     */
    byte[] selfNonce()
    {
        return selfNonce;
    }

    /**
     * @return the peer's nonce, from its accepted PROOF; {@code null} before one.
     */
    byte[] peerNonce()
    {
        return peerNonce;
    }

    /**
     * @return the world size the last PROOF that echoed this side's nonce gave.
     */
    int peerWorldSize()
    {
        return peerWorldSize;
    }

    /**
     * @return whether this side holds the peer's nonce and has answered it.
     */
    boolean isDone()
    {
        return null != peerNonce && contains(answeredNonces, peerNonce);
    }

    /**
     * @param buffer where to write this side's HELLO payload, from offset 0.
     * @return its length, {@link #HELLO_LENGTH}.
     */
    int writeHello(final MutableDirectBuffer buffer)
    {
        buffer.putBytes(0, selfNonce);
        buffer.putInt(NONCE_LENGTH, worldSize, ORDER);
        return HELLO_LENGTH;
    }

    /**
     * Queues a PROOF for a HELLO's nonce, unless it is queued or answered already.
     *
     * @param buffer the HELLO payload.
     * @param offset where it starts.
     * @param length its length.
     * @return {@code false} if it is not {@link #HELLO_LENGTH} bytes long (nothing queued).
     */
    boolean onHello(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length != HELLO_LENGTH)
        {
            return false;
        }
        queue(buffer, offset, false);
        return true;
    }

    /**
     * Checks a PROOF; one that answers this side's nonce from a peer of the same world size makes its nonce
     * the peer's and queues a PROOF for it, unless it is queued or answered already.
     *
     * @param buffer the PROOF payload.
     * @param offset where it starts.
     * @param length its length.
     * @return what it was.
     */
    Proof onProof(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length != PROOF_LENGTH)
        {
            return Proof.WRONG_LENGTH;
        }
        final byte[] echo = new byte[NONCE_LENGTH];
        buffer.getBytes(offset, echo);
        if (!MembershipSecret.constantTimeEquals(echo, selfNonce, NONCE_LENGTH))
        {
            return Proof.ANSWERS_ANOTHER_NONCE;
        }
        peerWorldSize = buffer.getInt(offset + 2 * NONCE_LENGTH, ORDER);
        if (peerWorldSize != worldSize)
        {
            return Proof.OTHER_WORLD_SIZE;
        }
        peerNonce = queue(buffer, offset + NONCE_LENGTH, true);
        return Proof.ACCEPTED;
    }

    /**
     * Writes the PROOF owed first, if any; {@link #proofSent()} once it went out.
     *
     * @param buffer where to write the PROOF payload, from offset 0.
     * @return its length, {@link #PROOF_LENGTH}, or 0 if no PROOF is owed.
     */
    int writeNextProof(final MutableDirectBuffer buffer)
    {
        final byte[] echo = pendingProofs.peekFirst();
        if (null == echo)
        {
            return 0;
        }
        buffer.putBytes(0, echo);
        buffer.putBytes(NONCE_LENGTH, selfNonce);
        buffer.putInt(2 * NONCE_LENGTH, worldSize, ORDER);
        return PROOF_LENGTH;
    }

    /** Records that the PROOF {@link #writeNextProof} wrote went out. */
    void proofSent()
    {
        answeredNonces.add(pendingProofs.pollFirst());
    }

    /**
     * @param first whether the nonce is the peer's, answered before any other; otherwise it goes last and,
     *              when the queue is full, the oldest entry makes room.
     * @return the nonce read.
     */
    private byte[] queue(final DirectBuffer buffer, final int offset, final boolean first)
    {
        final byte[] nonce = new byte[NONCE_LENGTH];
        buffer.getBytes(offset, nonce);
        if (contains(answeredNonces, nonce) || contains(pendingProofs, nonce))
        {
            return nonce;
        }
        if (first)
        {
            pendingProofs.addFirst(nonce);
        }
        else
        {
            if (pendingProofs.size() == MAX_PENDING_PROOFS)
            {
                pendingProofs.pollFirst();
            }
            pendingProofs.addLast(nonce);
        }
        return nonce;
    }

    private static boolean contains(final Iterable<byte[]> nonces, final byte[] nonce)
    {
        for (final byte[] candidate : nonces)
        {
            if (MembershipSecret.constantTimeEquals(candidate, nonce, NONCE_LENGTH))
            {
                return true;
            }
        }
        return false;
    }
}
