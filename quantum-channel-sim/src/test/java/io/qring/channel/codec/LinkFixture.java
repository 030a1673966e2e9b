package io.qring.channel.codec;

import io.qring.channel.epr.EprPool;
import io.qring.channel.epr.ExhaustionPolicy;
import io.qring.channel.epr.MemoryDecoherence;
import io.qring.channel.ledger.LinkLedger;
import io.qring.channel.noise.PauliChannel;
import org.agrona.concurrent.CachedNanoClock;

/**
 * Both endpoints of one directed link sharing one ledger and one test clock: a sender pool and
 * encoder, a receiver pool and decoder, refilled on demand.
 */
final class LinkFixture
{
    final LinkLedger ledger;
    final CachedNanoClock clock = new CachedNanoClock();
    final EprPool sender;
    final EprPool receiver;
    final SuperdenseEncoder encoder;
    final SuperdenseDecoder decoder;

    LinkFixture(
        final String link,
        final long seed,
        final long capacity,
        final PauliChannel distribution,
        final MemoryDecoherence memory,
        final PauliChannel online)
    {
        ledger = new LinkLedger(link);
        sender = pool(link, seed, capacity, distribution, memory, EprPool.Side.SENDER);
        receiver = pool(link, seed, capacity, distribution, memory, EprPool.Side.RECEIVER);
        encoder = new SuperdenseEncoder(sender);
        decoder = new SuperdenseDecoder(receiver, online);
    }

    static LinkFixture noiseless(final long capacity)
    {
        return new LinkFixture("0->1", 2024, capacity, PauliChannel.NOISELESS, null, PauliChannel.NOISELESS);
    }

    private EprPool pool(
        final String link,
        final long seed,
        final long capacity,
        final PauliChannel distribution,
        final MemoryDecoherence memory,
        final EprPool.Side side)
    {
        return EprPool.builder()
            .linkName(link)
            .side(side)
            .capacity(capacity)
            .linkSeed(seed)
            .distributionChannel(distribution)
            .memory(memory)
            .exhaustionPolicy(ExhaustionPolicy.REFILL_ON_DEMAND)
            .clock(clock)
            .ledger(ledger)
            .build();
    }

    /**
     * Encodes and decodes one payload through the byte[] API.
     *
     * @param payload bytes to send.
     * @return the wire frame.
     */
    byte[] encode(final byte[] payload)
    {
        final byte[] wire = new byte[SuperdenseEncoder.wireLength(payload.length)];
        encoder.encode(payload, 0, payload.length, wire, 0);
        return wire;
    }

    byte[] decode(final byte[] wire)
    {
        final byte[] out = new byte[wire.length - SuperdenseFrameHeader.LENGTH];
        decoder.decode(wire, 0, wire.length, out, 0);
        return out;
    }

    byte[] roundTrip(final byte[] payload)
    {
        return decode(encode(payload));
    }
}
