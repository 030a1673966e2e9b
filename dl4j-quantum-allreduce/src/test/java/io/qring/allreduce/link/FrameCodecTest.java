package io.qring.allreduce.link;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

import static io.qring.allreduce.link.FrameHeaderFlyweight.HEADER_LENGTH;
import static io.qring.allreduce.link.FrameHeaderFlyweight.TYPE_DATA;
import static io.qring.allreduce.link.FrameHeaderFlyweight.TYPE_HELLO;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class FrameCodecTest
{
    private static final long RING_ID = 7;
    private static final int MAX_PAYLOAD = 4096;
    private static final byte[] SECRET = "0123456789abcdef-shared-secret".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SEND_KEY = new byte[32];
    private static final byte[] RECEIVE_KEY = new byte[32];

    private FrameCodec sender;
    private FrameCodec receiver;

    @BeforeEach
    void setUp()
    {
        final MembershipSecret secret = new MembershipSecret(SECRET);
        SEND_KEY[0] = 1;
        RECEIVE_KEY[0] = 2;
        sender = new FrameCodec(RING_ID, 0, 1, "rank 1", true, MAX_PAYLOAD, secret.handshakeKey());
        receiver = new FrameCodec(RING_ID, 1, 0, "rank 0", false, MAX_PAYLOAD, secret.handshakeKey());
        sender.establish(SEND_KEY, RECEIVE_KEY);
        receiver.establish(RECEIVE_KEY, SEND_KEY);
    }

    @Test
    void shouldRoundTripDataFramesInOrder()
    {
        for (int i = 0; i < 5; i++)
        {
            final byte[] payload = ("message " + i).getBytes(StandardCharsets.UTF_8);
            final UnsafeBuffer frame = frame(sender, TYPE_DATA, payload);
            final byte[] onWire = new byte[payload.length];
            frame.getBytes(HEADER_LENGTH, onWire);
            assertFalse(Arrays.equals(payload, onWire), "session payloads travel encrypted");
            assertEquals(TYPE_DATA, receiver.decode(frame, 0, frame.capacity()));
            final byte[] decoded = new byte[receiver.payloadLength()];
            receiver.payloadBuffer().getBytes(receiver.payloadOffset(), decoded);
            assertArrayEquals(payload, decoded);
            assertEquals(i + 1, receiver.lastReceivedSequence());
        }
    }

    @Test
    void shouldRejectReplayedFrameWithoutChangingState()
    {
        final UnsafeBuffer first = frame(sender, TYPE_DATA, new byte[]{1, 2, 3});
        receiver.decode(first, 0, first.capacity());
        final FrameRejectedException ex = assertThrows(FrameRejectedException.class,
            () -> receiver.decode(first, 0, first.capacity()));
        assertEquals(FrameRejectedException.Reason.REPLAYED, ex.reason());
        assertEquals(1, receiver.lastReceivedSequence());
    }

    @Test
    void shouldReportSequenceGapWhenAnAuthenticFrameIsMissing()
    {
        frame(sender, TYPE_DATA, new byte[]{1});
        final UnsafeBuffer second = frame(sender, TYPE_DATA, new byte[]{2});
        final FrameRejectedException ex = assertThrows(FrameRejectedException.class,
            () -> receiver.decode(second, 0, second.capacity()));
        assertEquals(FrameRejectedException.Reason.SEQUENCE_GAP, ex.reason());
        assertEquals(0, receiver.lastReceivedSequence());
    }

    @Test
    void shouldGiveTheSequenceNumberOfAFrameNeverSentToTheNextFrame()
    {
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[]{9, 9});
        sender.encode(TYPE_DATA, payload, 0, 2);
        sender.encode(TYPE_DATA, payload, 0, 2);
        final UnsafeBuffer first = frame(sender, TYPE_DATA, new byte[]{1});
        assertEquals(TYPE_DATA, receiver.decode(first, 0, first.capacity()));
        assertEquals(1, receiver.lastReceivedSequence());

        frame(sender, TYPE_HELLO, new byte[20]);
        sender.frameSent();
        final UnsafeBuffer second = frame(sender, TYPE_DATA, new byte[]{2});
        assertEquals(TYPE_DATA, receiver.decode(second, 0, second.capacity()));
        assertEquals(2, receiver.lastReceivedSequence());
    }

    @Test
    void shouldRejectFrameTaggedWithAnotherSecret()
    {
        final MembershipSecret other = new MembershipSecret("another-secret-of-16+bytes".getBytes(StandardCharsets.US_ASCII));
        final FrameCodec intruder = new FrameCodec(RING_ID, 0, 1, "rank 1", true, MAX_PAYLOAD, other.handshakeKey());
        final FrameCodec fresh = new FrameCodec(RING_ID, 1, 0, "rank 0", false, MAX_PAYLOAD,
            new MembershipSecret(SECRET).handshakeKey());
        final UnsafeBuffer hello = frame(intruder, TYPE_HELLO, new byte[20]);
        final FrameRejectedException ex = assertThrows(FrameRejectedException.class,
            () -> fresh.decode(hello, 0, hello.capacity()));
        assertEquals(FrameRejectedException.Reason.BAD_TAG, ex.reason());
    }

    @Test
    void shouldRejectHandshakeFrameAfterSessionIsEstablished()
    {
        final FrameCodec fresh = new FrameCodec(RING_ID, 0, 1, "rank 1", true, MAX_PAYLOAD,
            new MembershipSecret(SECRET).handshakeKey());
        final UnsafeBuffer hello = frame(fresh, TYPE_HELLO, new byte[20]);
        final FrameRejectedException ex = assertThrows(FrameRejectedException.class,
            () -> receiver.decode(hello, 0, hello.capacity()));
        assertEquals(FrameRejectedException.Reason.UNEXPECTED_TYPE, ex.reason());
    }

    @Test
    void shouldRejectFrameOfAnotherRingOrDirection()
    {
        final FrameCodec otherRing = new FrameCodec(RING_ID + 1, 0, 1, "rank 1", true, MAX_PAYLOAD,
            new MembershipSecret(SECRET).handshakeKey());
        otherRing.establish(SEND_KEY, RECEIVE_KEY);
        final UnsafeBuffer foreign = frame(otherRing, TYPE_DATA, new byte[8]);
        assertEquals(FrameRejectedException.Reason.WRONG_RING,
            assertThrows(FrameRejectedException.class, () -> receiver.decode(foreign, 0, foreign.capacity())).reason());

        final FrameCodec reverse = new FrameCodec(RING_ID, 0, 1, "rank 1", false, MAX_PAYLOAD,
            new MembershipSecret(SECRET).handshakeKey());
        reverse.establish(SEND_KEY, RECEIVE_KEY);
        final UnsafeBuffer backwards = frame(reverse, TYPE_DATA, new byte[8]);
        assertEquals(FrameRejectedException.Reason.BAD_FIELD,
            assertThrows(FrameRejectedException.class, () -> receiver.decode(backwards, 0, backwards.capacity())).reason());
        assertEquals(0, receiver.lastReceivedSequence());
    }

    /**
     * 120,000 random and mutated frames at the decoder: every one must be rejected with the typed
     * exception only, and the decoder state must not move (a genuine frame still decodes afterwards).
     * Mutations: flip one random bit, overwrite a random byte, truncate, extend, replay, random bytes,
     * and headers with valid magic/ranks but random tags. Fixed seed.
     */
    @Test
    void shouldRejectEveryFuzzedFrameAndKeepStateIntact()
    {
        final SplittableRandom random = new SplittableRandom(20_240_601L);
        final byte[] payload = new byte[1000];
        for (int i = 0; i < payload.length; i++)
        {
            payload[i] = (byte)random.nextInt(256);
        }
        final UnsafeBuffer accepted = frame(sender, TYPE_DATA, payload);
        assertEquals(TYPE_DATA, receiver.decode(accepted, 0, accepted.capacity()));
        final byte[] template = frameBytes(frame(sender, TYPE_DATA, payload));
        final long stateBefore = receiver.lastReceivedSequence();

        final int frames = 120_000;
        final int[] byReason = new int[FrameRejectedException.Reason.values().length];
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[template.length + 64]);
        for (int i = 0; i < frames; i++)
        {
            final int length = mutate(random, template, buffer, accepted, i % 7);
            try
            {
                receiver.decode(buffer, 0, length);
                fail("fuzzed frame " + i + " (mutation " + i % 7 + ") was accepted");
            }
            catch (final FrameRejectedException ex)
            {
                byReason[ex.reason().ordinal()]++;
            }
            assertEquals(stateBefore, receiver.lastReceivedSequence());
        }
        final UnsafeBuffer genuine = new UnsafeBuffer(template);
        assertEquals(TYPE_DATA, receiver.decode(genuine, 0, genuine.capacity()));
        assertEquals(stateBefore + 1, receiver.lastReceivedSequence());
        int total = 0;
        for (final int count : byReason)
        {
            total += count;
        }
        assertEquals(frames, total);
        assertTrue(byReason[FrameRejectedException.Reason.BAD_TAG.ordinal()] > 10_000, "bit flips must mostly fail the tag");
        assertTrue(byReason[FrameRejectedException.Reason.REPLAYED.ordinal()] > 10_000, "replays must be refused");
    }

    private static int mutate(
        final SplittableRandom random, final byte[] template, final UnsafeBuffer target, final DirectBuffer replay,
        final int mutation)
    {
        switch (mutation)
        {
            case 0 ->
            {
                target.putBytes(0, template);
                final int bit = random.nextInt(template.length * 8);
                target.putByte(bit / 8, (byte)(target.getByte(bit / 8) ^ (1 << (bit % 8))));
                return template.length;
            }
            case 1 ->
            {
                target.putBytes(0, template);
                final int at = random.nextInt(template.length);
                target.putByte(at, (byte)(template[at] + 1 + random.nextInt(255)));
                return template.length;
            }
            case 2 ->
            {
                target.putBytes(0, template);
                return random.nextInt(template.length);
            }
            case 3 ->
            {
                target.putBytes(0, template);
                final int extra = 1 + random.nextInt(64);
                for (int i = 0; i < extra; i++)
                {
                    target.putByte(template.length + i, (byte)random.nextInt(256));
                }
                return template.length + extra;
            }
            case 4 ->
            {
                target.putBytes(0, replay, 0, replay.capacity());
                return replay.capacity();
            }
            case 5 ->
            {
                final int length = random.nextInt(template.length + 64);
                for (int i = 0; i < length; i++)
                {
                    target.putByte(i, (byte)random.nextInt(256));
                }
                return length;
            }
            default ->
            {
                target.putBytes(0, template);
                for (int i = FrameHeaderFlyweight.TAG_OFFSET; i < HEADER_LENGTH; i++)
                {
                    target.putByte(i, (byte)random.nextInt(256));
                }
                target.putLong(FrameHeaderFlyweight.SEQUENCE_OFFSET, random.nextLong(), ByteOrder.LITTLE_ENDIAN);
                return template.length;
            }
        }
    }

    private static UnsafeBuffer frame(final FrameCodec codec, final byte type, final byte[] payload)
    {
        final UnsafeBuffer payloadBuffer = new UnsafeBuffer(payload);
        final DirectBuffer header = codec.encode(type, payloadBuffer, 0, payload.length);
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[HEADER_LENGTH + payload.length]);
        frame.putBytes(0, header, 0, HEADER_LENGTH);
        frame.putBytes(HEADER_LENGTH, codec.outgoingPayload(), codec.outgoingPayloadOffset(), payload.length);
        codec.frameSent();
        return frame;
    }

    private static byte[] frameBytes(final UnsafeBuffer frame)
    {
        final byte[] bytes = new byte[frame.capacity()];
        frame.getBytes(0, bytes);
        return bytes;
    }
}
