package io.qring.allreduce.link;

import org.agrona.DirectBuffer;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;

/**
 * The ring's shared secret and the keys derived from it with HMAC-SHA256 (javax.crypto). Holding the
 * secret is what makes a process a member: the handshake proves it, and per-session keys derived from
 * it and both sides' fresh nonces seal every later frame (AES-256-GCM, see {@link FrameCodec}).
 * <ul>
 *   <li>handshake key = HMAC(secret, "qring handshake v1")</li>
 *   <li>session key for frames from A to B = HMAC(secret, "qring session v1" ‖ ring id ‖ direction ‖ A ‖ B
 *       ‖ nonce of A ‖ nonce of B)</li>
 * </ul>
 */
public final class MembershipSecret
{
    /** JCA name of the MAC used everywhere. */
    public static final String MAC_ALGORITHM = "HmacSHA256";
    /** Shortest secret accepted, in bytes. */
    public static final int MIN_SECRET_LENGTH = 16;
    /** Length of a full HMAC-SHA256 output. */
    public static final int MAC_LENGTH = 32;

    private static final byte[] HANDSHAKE_LABEL = "qring handshake v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SESSION_LABEL = "qring session v1".getBytes(StandardCharsets.US_ASCII);
    private static final int SCRATCH_LENGTH = 8192;

    private final byte[] secret;

    /**
     * @param secret the shared secret, at least {@link #MIN_SECRET_LENGTH} bytes; copied.
     */
    public MembershipSecret(final byte[] secret)
    {
        if (null == secret || secret.length < MIN_SECRET_LENGTH)
        {
            throw new IllegalArgumentException("shared secret must be at least " + MIN_SECRET_LENGTH + " bytes, got " +
                (null == secret ? "none" : secret.length + " bytes"));
        }
        this.secret = secret.clone();
    }

    /** @return the key that tags HELLO and PROOF frames. */
    public byte[] handshakeKey()
    {
        final Mac mac = newMac(secret);
        return mac.doFinal(HANDSHAKE_LABEL);
    }

    /**
     * Derives the key for one direction of one authenticated session.
     *
     * @param ringId     ring id.
     * @param direction  frame direction byte of frames sent from {@code fromRank}.
     * @param fromRank   sender.
     * @param toRank     receiver.
     * @param fromNonce  the sender's handshake nonce.
     * @param toNonce    the receiver's handshake nonce.
     * @return a 32-byte key.
     */
    public byte[] sessionKey(
        final long ringId,
        final byte direction,
        final int fromRank,
        final int toRank,
        final byte[] fromNonce,
        final byte[] toNonce)
    {
        final ByteBuffer input = ByteBuffer.allocate(SESSION_LABEL.length + 8 + 1 + 4 + 4 + fromNonce.length + toNonce.length)
            .order(ByteOrder.LITTLE_ENDIAN);
        input.put(SESSION_LABEL).putLong(ringId).put(direction).putInt(fromRank).putInt(toRank).put(fromNonce).put(toNonce);
        return newMac(secret).doFinal(input.array());
    }

    /**
     * @param key a key from this class.
     * @return an initialised HMAC-SHA256 instance.
     */
    public static Mac newMac(final byte[] key)
    {
        try
        {
            final Mac mac = Mac.getInstance(MAC_ALGORITHM);
            mac.init(new SecretKeySpec(key, MAC_ALGORITHM));
            return mac;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(MAC_ALGORITHM + " is not available in this JVM", ex);
        }
    }

    /**
     * Feeds a range of a {@link DirectBuffer} to a MAC without allocating: straight from the backing
     * array when there is one, otherwise through {@code scratch}.
     *
     * @param mac     the MAC.
     * @param buffer  the bytes.
     * @param offset  first byte.
     * @param length  number of bytes.
     * @param scratch reusable copy buffer of any non-zero length.
     */
    public static void update(
        final Mac mac, final DirectBuffer buffer, final int offset, final int length, final byte[] scratch)
    {
        final byte[] array = buffer.byteArray();
        if (null != array)
        {
            mac.update(array, buffer.wrapAdjustment() + offset, length);
            return;
        }
        int done = 0;
        while (done < length)
        {
            final int n = Math.min(scratch.length, length - done);
            buffer.getBytes(offset + done, scratch, 0, n);
            mac.update(scratch, 0, n);
            done += n;
        }
    }

    /** @return a scratch buffer sized for {@link #update}. */
    public static byte[] newScratch()
    {
        return new byte[SCRATCH_LENGTH];
    }

    /**
     * Compares without leaking the position of the first difference through timing.
     *
     * @param a      first array.
     * @param b      second array.
     * @param length number of leading bytes to compare.
     * @return whether the first {@code length} bytes are equal.
     */
    public static boolean constantTimeEquals(final byte[] a, final byte[] b, final int length)
    {
        int diff = 0;
        for (int i = 0; i < length; i++)
        {
            diff |= a[i] ^ b[i];
        }
        return diff == 0;
    }

    @Override
    public String toString()
    {
        return "MembershipSecret{" + secret.length + " bytes}";
    }
}
