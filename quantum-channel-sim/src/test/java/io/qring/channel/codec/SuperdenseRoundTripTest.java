package io.qring.channel.codec;

import io.qring.channel.epr.EprShares;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;
import io.qring.channel.noise.PauliChannel;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SuperdenseRoundTripTest
{
    private final SplittableRandom random = new SplittableRandom(11);

    @Test
    void shouldRoundTripAnEmptyPayloadWithoutConsumingPairs()
    {
        final LinkFixture link = LinkFixture.noiseless(1024);
        final byte[] wire = link.encode(new byte[0]);
        assertEquals(SuperdenseFrameHeader.LENGTH, wire.length);
        assertEquals(0, link.decode(wire).length);
        assertEquals(0, link.sender.nextPair());
        assertEquals(0, link.receiver.nextPair());
        assertEquals(0, link.ledger.get(LedgerCounter.ONLINE_QUBITS));
        assertEquals(SuperdenseEncoder.HEADER_BITS, link.ledger.get(LedgerCounter.ONLINE_CLASSICAL_BITS));
    }

    @Test
    void shouldRoundTripOneByte()
    {
        final LinkFixture link = LinkFixture.noiseless(1024);
        for (int value = 0; value < 256; value++)
        {
            final byte[] payload = {(byte)value};
            final byte[] wire = link.encode(payload);
            assertEquals(SuperdenseFrameHeader.LENGTH + 1, wire.length);
            assertArrayEquals(payload, link.decode(wire));
        }
        assertEquals(1024, link.sender.nextPair());
    }

    @Test
    void shouldRecoverAnyRangeOfThePayloadFromTheSendersOwnFrameWithoutTakingPairs()
    {
        final LinkFixture link = LinkFixture.noiseless(1 << 16);
        for (int length = 1; length <= 200; length += 7)
        {
            final byte[] payload = new byte[length];
            random.nextBytes(payload);
            final byte[] wire = link.encode(payload);
            final long nextPair = link.sender.nextPair();
            final long qubits = link.ledger.get(LedgerCounter.ONLINE_QUBITS);
            final int from = random.nextInt(length);
            final int count = random.nextInt(length - from + 1);
            final byte[] recovered = new byte[count + 2];

            link.encoder.recover(new UnsafeBuffer(wire), 0, from, count, new UnsafeBuffer(recovered), 2);

            assertArrayEquals(Arrays.copyOfRange(payload, from, from + count), Arrays.copyOfRange(recovered, 2, 2 + count));
            assertEquals(nextPair, link.sender.nextPair());
            assertEquals(qubits, link.ledger.get(LedgerCounter.ONLINE_QUBITS));
        }
    }

    @Test
    void shouldRefuseToRecoverFromAnotherLinksFrameOrOutsideThePayload()
    {
        final LinkFixture link = LinkFixture.noiseless(1024);
        final LinkFixture other = new LinkFixture("1->2", 2024, 1024, PauliChannel.NOISELESS, null, PauliChannel.NOISELESS);
        final UnsafeBuffer wire = new UnsafeBuffer(other.encode(new byte[8]));
        final UnsafeBuffer out = new UnsafeBuffer(new byte[16]);
        assertThrows(IllegalArgumentException.class, () -> link.encoder.recover(wire, 0, 0, 8, out, 0));
        final UnsafeBuffer own = new UnsafeBuffer(link.encode(new byte[8]));
        assertThrows(IndexOutOfBoundsException.class, () -> link.encoder.recover(own, 0, 4, 5, out, 0));
    }

    @Test
    void shouldRoundTripOddLengthsAtEveryPairOffsetWithSymbolsEqualToShareXorPayload()
    {
        final LinkFixture link = LinkFixture.noiseless(1 << 16);
        final long key = link.sender.shareStreamKey();
        final boolean[] offsetsSeen = new boolean[32];
        for (int length = 1; length <= 300; length++)
        {
            final byte[] payload = new byte[length + 13];
            random.nextBytes(payload);
            final int payloadOffset = random.nextInt(13);
            final int wireOffset = random.nextInt(9);
            final byte[] wire = new byte[wireOffset + SuperdenseEncoder.wireLength(length) + 5];
            final long firstPair = link.sender.nextPair();
            offsetsSeen[(int)(firstPair & 31)] = true;

            assertEquals(SuperdenseEncoder.wireLength(length), link.encoder.encode(payload, payloadOffset, length, wire, wireOffset));
            for (int pair = 0; pair < 4 * length; pair++)
            {
                final int payloadSymbol = (payload[payloadOffset + pair / 4] >>> (2 * (pair % 4))) & 3;
                final int wireSymbol = (wire[wireOffset + SuperdenseFrameHeader.LENGTH + pair / 4] >>> (2 * (pair % 4))) & 3;
                assertEquals(EprShares.senderShare(key, firstPair + pair) ^ payloadSymbol, wireSymbol, "pair " + pair);
            }

            final byte[] out = new byte[length + 7];
            assertEquals(length, link.decoder.decode(wire, wireOffset, SuperdenseEncoder.wireLength(length), out, 3));
            assertArrayEquals(Arrays.copyOfRange(payload, payloadOffset, payloadOffset + length), Arrays.copyOfRange(out, 3, 3 + length));
        }
        for (int offset = 0; offset < 32; offset += 4)
        {
            assertTrue(offsetsSeen[offset], "pair offset " + offset + " within a share word");
        }
    }

    @Test
    void shouldRoundTripOffHeapBuffersAtOddOffsets()
    {
        final LinkFixture link = LinkFixture.noiseless(1 << 20);
        final UnsafeBuffer payload = new UnsafeBuffer(ByteBuffer.allocateDirect(70_000));
        final UnsafeBuffer wire = new UnsafeBuffer(ByteBuffer.allocateDirect(70_100));
        final UnsafeBuffer out = new UnsafeBuffer(ByteBuffer.allocateDirect(70_000));
        final byte[] bytes = new byte[70_000];
        random.nextBytes(bytes);
        payload.putBytes(0, bytes);
        for (final int length : new int[] {69_999, 3, 8, 65_536, 7})
        {
            final int written = link.encoder.encode(payload, 1, length, wire, 5);
            assertEquals(SuperdenseEncoder.wireLength(length), written);
            assertEquals(length, link.decoder.decode(wire, 5, written, out, 0));
            for (int i = 0; i < length; i++)
            {
                assertEquals(bytes[1 + i], out.getByte(i), "byte " + i + " of " + length);
            }
        }
    }

    @Test
    void shouldRoundTrip64MiBBitExactlyWithOneOnlineQubitPerTwoPayloadBits()
    {
        final int length = 64 << 20;
        final LinkFixture link = LinkFixture.noiseless(4L * length);
        final byte[] payload = new byte[length];
        random.nextBytes(payload);
        final LedgerSnapshot before = link.ledger.snapshot();
        final byte[] out = link.roundTrip(payload);
        assertArrayEquals(payload, out);

        final LedgerSnapshot moved = link.ledger.snapshot().minus(before);
        final long payloadBits = 8L * length;
        assertEquals(payloadBits, moved.get(LedgerCounter.PAYLOAD_BITS));
        assertEquals(payloadBits / 2, moved.get(LedgerCounter.ONLINE_QUBITS));
        assertEquals(payloadBits / 2, moved.get(LedgerCounter.EPR_CONSUMED));
        assertEquals(payloadBits, moved.get(LedgerCounter.CLASSICAL_EQUIVALENT_BITS));
        assertEquals(SuperdenseEncoder.HEADER_BITS, moved.get(LedgerCounter.ONLINE_CLASSICAL_BITS));
        assertEquals(payloadBits / 2, moved.get(LedgerCounter.EPR_PRE_SHARED));
        assertEquals(payloadBits / 2, moved.get(LedgerCounter.OFFLINE_QUBITS));
        assertEquals(2.0, moved.goodputBitsPerQubit());
    }

    @Test
    void shouldCountFirstSendsAndRetransmissionsSeparately()
    {
        final LinkFixture link = LinkFixture.noiseless(1 << 12);
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[100]);
        final UnsafeBuffer wire = new UnsafeBuffer(new byte[SuperdenseEncoder.wireLength(100)]);
        final UnsafeBuffer out = new UnsafeBuffer(new byte[100]);
        payload.setMemory(0, 100, (byte)0x5A);
        link.encoder.encode(payload, 0, 100, wire, 0);
        link.decoder.decode(wire, 0, wire.capacity(), out, 0);
        link.encoder.encodeRetransmission(payload, 0, 100, wire, 0);
        link.decoder.decode(wire, 0, wire.capacity(), out, 0);
        assertEquals(0x5A, out.getByte(99));

        final LedgerSnapshot s = link.ledger.snapshot();
        assertEquals(800, s.get(LedgerCounter.PAYLOAD_BITS));
        assertEquals(400, s.get(LedgerCounter.ONLINE_QUBITS));
        assertEquals(400, s.get(LedgerCounter.RETRANSMITTED_QUBITS));
        assertEquals(800, s.get(LedgerCounter.EPR_CONSUMED));
        assertEquals(800, s.get(LedgerCounter.CLASSICAL_EQUIVALENT_BITS));
        assertEquals(2 * SuperdenseEncoder.HEADER_BITS, s.get(LedgerCounter.ONLINE_CLASSICAL_BITS));
        assertEquals(1.0, s.goodputBitsPerQubit());
        assertEquals(2.0, s.capacityBitsPerQubit());
    }
}
