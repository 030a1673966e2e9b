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
 * that carry them, without I/O. Each side announces a fresh nonce in a HELLO, and answers the HELLOs it
 * reads with PROOFs, each echoing the nonce it answers, then its own nonce, then its world size (each
 * frame tagged under the ring's handshake key). A PROOF echoing this side's fresh nonce is the peer's: it
 * proves the peer holds the secret now, not in an earlier run, and hands over the peer's nonce, from which
 * the session keys derive. The handshake is done once this side holds the peer's nonce and has answered it.
 * <p>
 * HELLOs decide nothing (an authentic one may be replayed from an earlier run): a nonce already queued
 * or answered is not queued again, and when the queue of {@link #MAX_PENDING_PROOFS} is full the oldest
 * entry makes room, so replays ahead of the genuine HELLO cannot crowd it out; the peer's nonce, once
 * accepted, is answered first. Not thread-safe: the handshake runs on one thread.
 */
final class HandshakeNonces
{
    /** Bytes of a HELLO payload: the nonce, then the world size (int). */
    static final int HELLO_LENGTH = AuthenticatedLink.NONCE_LENGTH + Integer.BYTES;
    /** Bytes of a PROOF payload: the echoed nonce, the sender's own nonce, then the world size (int). */
    static final int PROOF_LENGTH = 2 * AuthenticatedLink.NONCE_LENGTH + Integer.BYTES;

    /** HELLO nonces queued for a PROOF at most; a full queue drops its oldest. */
    static final int MAX_PENDING_PROOFS = 16;

    /** What a PROOF turned out to be. */
    enum Proof
    {
        /** The peer's answer to this side's nonce: {@link #accept} its nonce once the session is set up. */
        VALID,
        /** Not {@link #PROOF_LENGTH} bytes long. */
        WRONG_LENGTH,
        /**
         * It echoes a nonce this side did not send in this handshake: a replayed PROOF, or the peer's answer to
         * a replay of an earlier run's HELLO of this side.
         */
        ANSWERS_ANOTHER_NONCE,
        /** The peer holds the secret but counts another world size ({@link #peerWorldSize()}). */
        OTHER_WORLD_SIZE
    }

    private static final int NONCE_LENGTH = AuthenticatedLink.NONCE_LENGTH;
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
     * @return the peer's nonce, once {@link #accept accepted}; {@code null} before.
     */
    byte[] peerNonce()
    {
        return peerNonce;
    }

    /**
     * @return the world size the last PROOF echoing this side's nonce gave.
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
        final byte[] nonce = new byte[NONCE_LENGTH];
        buffer.getBytes(offset, nonce);
        if (contains(answeredNonces, nonce) || contains(pendingProofs, nonce))
        {
            return true;
        }
        if (pendingProofs.size() >= MAX_PENDING_PROOFS)
        {
            pendingProofs.pollFirst();
        }
        pendingProofs.addLast(nonce);
        return true;
    }

    /**
     * Checks a PROOF, changing nothing but {@link #peerWorldSize()}: its length, that it echoes this side's
     * nonce (in constant time), then the world size.
     *
     * @param buffer the PROOF payload.
     * @param offset where it starts.
     * @param length its length.
     * @return what it was.
     */
    Proof checkProof(final DirectBuffer buffer, final int offset, final int length)
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
        return peerWorldSize == worldSize ? Proof.VALID : Proof.OTHER_WORLD_SIZE;
    }

    /**
     * @param buffer a {@link Proof#VALID} PROOF payload.
     * @param offset where it starts.
     * @return the nonce of the side that sent it.
     */
    static byte[] senderNonce(final DirectBuffer buffer, final int offset)
    {
        final byte[] nonce = new byte[NONCE_LENGTH];
        buffer.getBytes(offset + NONCE_LENGTH, nonce);
        return nonce;
    }

    /**
     * Makes the sender's nonce of a {@link Proof#VALID} PROOF the peer's, and queues a PROOF for it ahead of
     * any other, unless it is queued or answered already.
     *
     * @param nonce the peer's nonce ({@link #senderNonce}).
     */
    void accept(final byte[] nonce)
    {
        peerNonce = nonce;
        if (!contains(answeredNonces, nonce) && !contains(pendingProofs, nonce))
        {
            pendingProofs.addFirst(nonce);
        }
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

    /**
     * Records that the PROOF {@link #writeNextProof} wrote went out.
     *
     * @throws IllegalStateException if no PROOF was owed.
     */
    void proofSent()
    {
        final byte[] answered = pendingProofs.pollFirst();
        if (null == answered)
        {
            throw new IllegalStateException("no PROOF was owed");
        }
        answeredNonces.add(answered);
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
