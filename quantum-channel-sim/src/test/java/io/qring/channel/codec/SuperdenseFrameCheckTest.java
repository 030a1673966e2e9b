package io.qring.channel.codec;

import io.qring.channel.epr.EprPool;
import io.qring.channel.epr.EprPoolExhaustedException;
import io.qring.channel.epr.ExhaustionPolicy;
import io.qring.channel.noise.PauliChannel;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SuperdenseFrameCheckTest
{
    private final byte[] payload1 = {1, 2, 3, 4, 5};
    private final byte[] payload2 = {6, 7, 8};

    @Test
    void shouldWriteAndReadTheTwentyFourByteHeader()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[40]);
        SuperdenseFrameHeader.write(buffer, 3, 1234, 0x0123_4567_89AB_CDEFL, 987_654_321_000L);
        final SuperdenseFrameHeader header = new SuperdenseFrameHeader().wrap(buffer, 3);
        assertEquals(24, SuperdenseFrameHeader.LENGTH);
        assertEquals(SuperdenseFrameHeader.MAGIC, header.magic());
        assertEquals(1234, header.payloadLength());
        assertEquals(4 * 1234, header.pairCount());
        assertEquals(0x0123_4567_89AB_CDEFL, header.linkId());
        assertEquals(987_654_321_000L, header.firstPair());
        assertEquals('Q', buffer.getByte(3));
        assertEquals('1', buffer.getByte(6));
    }

    @Test
    void shouldRefuseAFrameOfAnotherLinkWithoutConsumingPairs()
    {
        final LinkFixture link = LinkFixture.noiseless(1024);
        final byte[] wire = link.encode(payload1);
        final LinkFixture otherSeed = new LinkFixture("0->1", 2025, 1024, PauliChannel.NOISELESS, null, PauliChannel.NOISELESS);
        final LinkFixture otherName = new LinkFixture("1->0", 2024, 1024, PauliChannel.NOISELESS, null, PauliChannel.NOISELESS);
        assertRefused(SuperdenseFrameException.Reason.WRONG_LINK, () -> otherSeed.decode(wire), "link '0->1'");
        assertRefused(SuperdenseFrameException.Reason.WRONG_LINK, () -> otherName.decode(wire), "link '1->0'");
        assertEquals(0, otherSeed.receiver.nextPair());
        assertArrayEquals(payload1, link.decode(wire));
    }

    @Test
    void shouldRefuseLostReplayedAndReorderedFrames()
    {
        final LinkFixture link = LinkFixture.noiseless(1024);
        final byte[] first = link.encode(payload1);
        final byte[] second = link.encode(payload2);
        assertRefused(SuperdenseFrameException.Reason.OUT_OF_ORDER, () -> link.decode(second), "earlier frames lost");
        assertArrayEquals(payload1, link.decode(first));
        assertRefused(SuperdenseFrameException.Reason.OUT_OF_ORDER, () -> link.decode(first), "replayed or reordered");
        assertArrayEquals(payload2, link.decode(second));
    }

    @Test
    void shouldRefuseTruncatedAndMalformedFrames()
    {
        final LinkFixture link = LinkFixture.noiseless(1024);
        final byte[] wire = link.encode(payload1);
        assertRefused(SuperdenseFrameException.Reason.TRUNCATED, () -> link.decode(Arrays.copyOf(wire, wire.length - 1)),
            "header announces 5 symbol bytes, only 4 received");
        assertRefused(SuperdenseFrameException.Reason.TRUNCATED, () -> link.decoder.decode(wire, 0, 10, new byte[8], 0),
            "cannot hold the 24-byte frame header");
        assertRefused(SuperdenseFrameException.Reason.MALFORMED, () -> link.decode(Arrays.copyOf(wire, wire.length + 1)),
            "6 received");
        final byte[] badMagic = wire.clone();
        badMagic[0] ^= 1;
        assertRefused(SuperdenseFrameException.Reason.MALFORMED, () -> link.decode(badMagic), "magic");
        final byte[] negative = wire.clone();
        negative[7] = (byte)0x80;
        assertRefused(SuperdenseFrameException.Reason.MALFORMED, () -> link.decode(negative), "negative payload length");
        assertEquals(0, link.receiver.nextPair());
        assertArrayEquals(payload1, link.decode(wire));
    }

    @Test
    void shouldRefuseDestinationsAndSourcesThatAreTooSmall()
    {
        final LinkFixture link = LinkFixture.noiseless(1024);
        final byte[] wire = link.encode(payload1);
        assertThrows(IndexOutOfBoundsException.class, () -> link.decoder.decode(wire, 0, wire.length, new byte[4], 0));
        assertThrows(IndexOutOfBoundsException.class, () -> link.encoder.encode(payload1, 0, 5, new byte[28], 0));
        assertThrows(IndexOutOfBoundsException.class, () -> link.encoder.encode(payload1, 1, 5, new byte[29], 0));
        assertThrows(IllegalArgumentException.class, () -> link.encoder.encode(payload1, 0, -1, new byte[29], 0));
        assertEquals(0, link.receiver.nextPair());
        assertEquals(20, link.sender.nextPair());
    }

    @Test
    void shouldRefuseThePoolOfTheWrongSide()
    {
        final LinkFixture link = LinkFixture.noiseless(1024);
        final IllegalArgumentException encoder = assertThrows(IllegalArgumentException.class,
            () -> new SuperdenseEncoder(link.receiver));
        assertTrue(encoder.getMessage().contains("SENDER pool of link '0->1'"), encoder.getMessage());
        final IllegalArgumentException decoder = assertThrows(IllegalArgumentException.class,
            () -> new SuperdenseDecoder(link.sender, PauliChannel.NOISELESS));
        assertTrue(decoder.getMessage().contains("RECEIVER pool"), decoder.getMessage());
    }

    @Test
    void shouldRefuseALinkThatDampsInTwoStagesNamingThem()
    {
        final EprPool damped = receiverPool().distributionChannel(PauliChannel.amplitudeDamping(0.1)).build();
        final EprPool stored = receiverPool().memory(1, 1).build();
        final String expected = "superdense decoder of link '0->1': amplitude damping in more than one stage (";

        final IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
            () -> new SuperdenseDecoder(damped, PauliChannel.amplitudeDamping(0.2)));
        assertTrue(twice.getMessage().startsWith(expected + "the distribution channel, the online channel)"), twice.getMessage());
        final IllegalArgumentException memory = assertThrows(IllegalArgumentException.class,
            () -> new SuperdenseDecoder(stored, PauliChannel.amplitudeDamping(0.2)));
        assertTrue(memory.getMessage().startsWith(expected + "the T1/T2 memory (it damps both stored halves), the online channel)"),
            memory.getMessage());
        new SuperdenseDecoder(damped, PauliChannel.depolarizing(0.01));
        new SuperdenseDecoder(stored, PauliChannel.depolarizing(0.01));
    }

    /** The ledger's capacity bound is that of both channels a pair meets: distribution, then flight. */
    @Test
    void shouldRecordTheCapacityOfTheDistributionAndOnlineChannelsComposed()
    {
        final PauliChannel distribution = PauliChannel.werner(0.95);
        final PauliChannel online = PauliChannel.depolarizing(0.01);
        final EprPool pool = receiverPool().distributionChannel(distribution).build();

        new SuperdenseDecoder(pool, online);

        final double expected = distribution.then(online).denseCodingCapacity();
        assertEquals(expected, pool.ledger().snapshot().capacityBitsPerQubit(), 1e-12);
        assertTrue(expected < distribution.denseCodingCapacity() - 0.01 && expected < online.denseCodingCapacity() - 0.01,
            "the composed bound must differ from either channel's alone: " + expected);
    }

    private static EprPool.Builder receiverPool()
    {
        return EprPool.builder().linkName("0->1").side(EprPool.Side.RECEIVER).capacity(64).linkSeed(5);
    }

    @Test
    void shouldRefuseAPayloadLargerThanThePool()
    {
        final LinkFixture link = LinkFixture.noiseless(16);
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> link.encode(new byte[5]));
        assertTrue(ex.getMessage().contains("capacity 16"), ex.getMessage());
    }

    @Test
    void shouldFailDecodingWhenTheReceiverPoolRunsDryUnderPolicyFail()
    {
        final EprPool sender = EprPool.builder().linkName("0->1").side(EprPool.Side.SENDER).capacity(64).linkSeed(5)
            .exhaustionPolicy(ExhaustionPolicy.REFILL_ON_DEMAND).build();
        final EprPool receiver = EprPool.builder().linkName("0->1").side(EprPool.Side.RECEIVER).capacity(64).linkSeed(5).build();
        final SuperdenseEncoder encoder = new SuperdenseEncoder(sender);
        final SuperdenseDecoder decoder = new SuperdenseDecoder(receiver, PauliChannel.NOISELESS);
        final byte[] wire = new byte[SuperdenseEncoder.wireLength(payload1.length)];
        encoder.encode(payload1, 0, payload1.length, wire, 0);
        final byte[] out = new byte[payload1.length];
        final EprPoolExhaustedException ex = assertThrows(EprPoolExhaustedException.class,
            () -> decoder.decode(wire, 0, wire.length, out, 0));
        assertEquals(20, ex.requested());
        assertEquals(0, ex.available());
        receiver.refill();
        decoder.decode(wire, 0, wire.length, out, 0);
        assertArrayEquals(payload1, out);
    }

    private static void assertRefused(final SuperdenseFrameException.Reason reason, final Executable decode, final String detail)
    {
        final SuperdenseFrameException ex = assertThrows(SuperdenseFrameException.class, decode);
        assertEquals(reason, ex.reason());
        assertTrue(ex.getMessage().contains(detail), "'" + ex.getMessage() + "' should contain '" + detail + "'");
    }
}
