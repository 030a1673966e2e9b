package io.qring.channel.codec;

import io.qring.channel.epr.EprPool;
import io.qring.channel.epr.EprShares;
import io.qring.channel.frame.PauliFrame;
import io.qring.channel.noise.DampingStages;
import io.qring.channel.noise.PauliChannel;
import io.qring.channel.noise.PauliErrorSampler;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The receiver's half of superdense coding over an {@link EprPool}: payload = wire ⊕ s_B ⊕ e_online
 * = b ⊕ e, where s_B = s_A ⊕ e_held and e = e_held ⊕ e_online.
 *
 * <p>Errors are sampled here, at decode time, by {@link PauliErrorSampler} from the pool's
 * {@link EprPool#heldChannel(long) held channel} (distribution, then storage since the batch was
 * distributed) followed by the online channel of the flying half. A frame's errors are drawn from a
 * stream seeded by the link seed, a noise stream id and the frame's <em>noise key</em> (its first pair
 * unless the caller gives one), never from a stream shared with other frames: a receiver that gets
 * retransmissions interleaved with new frames in an order that depends on thread timing still draws the
 * same errors for each transmission, so bit counts reproduce from the seed. Without memory decoherence
 * the channel is constant and decoding is allocation-free; with it, each frame segment of one batch gets
 * its channel and a sampler seeded from the segment's offset in the frame (two small objects per segment).
 *
 * <p>Every frame is checked against the pool before any pair is consumed (see
 * {@link SuperdenseFrameException.Reason}). Not thread-safe (one decoder per receiving thread of a link).
 * The decoder records no ledger counter (the encoder does); it sets the ledger's capacity bound to that
 * of the distribution and online channels.
 */
public final class SuperdenseDecoder
{
    /** Noise stream used when none is given. */
    public static final long DEFAULT_NOISE_STREAM_ID = 0;

    /** Payload bytes decoded per chunk of sampled errors; a multiple of 8, so every chunk keeps the frame's pair offset within a share word. */
    private static final int CHUNK_BYTES = 8 * 1024;

    private final EprPool pool;
    private final PauliChannel onlineChannel;
    private final long shareStreamKey;
    private final long noiseSeed;
    private final PauliErrorSampler constantSampler;
    private final boolean noiseless;
    private final SuperdenseFrameHeader header = new SuperdenseFrameHeader();
    private final UnsafeBuffer wireView = new UnsafeBuffer();
    private final UnsafeBuffer payloadView = new UnsafeBuffer();
    private final long[] errors = new long[CHUNK_BYTES / Long.BYTES];
    private final ShareXor shareXor = new ShareXor();

    /**
     * A decoder on noise stream {@link #DEFAULT_NOISE_STREAM_ID}.
     *
     * @param pool          the receiver's pool of the link.
     * @param onlineChannel channel the sent half suffers in flight.
     */
    public SuperdenseDecoder(final EprPool pool, final PauliChannel onlineChannel)
    {
        this(pool, onlineChannel, DEFAULT_NOISE_STREAM_ID);
    }

    /**
     * @param pool          the receiver's pool of the link.
     * @param onlineChannel channel the sent half suffers in flight.
     * @param noiseStreamId selects an independent reproducible noise stream of the link.
     * @throws IllegalArgumentException if the pool is not a {@link EprPool.Side#RECEIVER} pool, or if the link
     *                                  would damp in more than one stage ({@link DampingStages}).
     */
    public SuperdenseDecoder(final EprPool pool, final PauliChannel onlineChannel, final long noiseStreamId)
    {
        if (pool.side() != EprPool.Side.RECEIVER)
        {
            throw new IllegalArgumentException("superdense decoder needs the RECEIVER pool of link '" + pool.linkName() +
                "', got the " + pool.side() + " pool");
        }
        if (onlineChannel == null)
        {
            throw new IllegalArgumentException("superdense decoder of link '" + pool.linkName() + "' needs an online channel");
        }
        new DampingStages().stage(DampingStages.DISTRIBUTION, pool.distributionChannel().fromDamping())
            .stage(DampingStages.MEMORY, pool.hasMemoryDecoherence()).stage(DampingStages.ONLINE, onlineChannel.fromDamping())
            .requireAtMostOne("superdense decoder of link '" + pool.linkName() + "': ");
        this.pool = pool;
        this.onlineChannel = onlineChannel;
        this.shareStreamKey = pool.shareStreamKey();
        this.noiseSeed = EprShares.derive(pool.linkSeed(), EprShares.NOISE_DOMAIN, noiseStreamId);
        final PauliChannel constant = pool.distributionChannel().then(onlineChannel);
        this.noiseless = !pool.hasMemoryDecoherence() && constant.symbolErrorProbability() == 0;
        this.constantSampler = pool.hasMemoryDecoherence() ? null : new PauliErrorSampler(constant, noiseSeed);
        pool.ledger().capacityBitsPerQubit(constant.denseCodingCapacity());
    }

    /** @return the pool this decoder takes pairs from. */
    public EprPool pool()
    {
        return pool;
    }

    /** @return the channel the sent half suffers in flight. */
    public PauliChannel onlineChannel()
    {
        return onlineChannel;
    }

    /**
     * Decodes one wire frame.
     *
     * @param wire          buffer holding the frame.
     * @param wireOffset    first byte of the frame.
     * @param wireLength    bytes of the frame.
     * @param payload       destination of the payload.
     * @param payloadOffset first payload byte.
     * @return payload bytes written.
     * @throws SuperdenseFrameException  if the frame is truncated, malformed, of another link or out of order.
     * @throws IndexOutOfBoundsException if the payload does not fit the destination.
     */
    public int decode(
        final DirectBuffer wire, final int wireOffset, final int wireLength, final MutableDirectBuffer payload, final int payloadOffset)
    {
        final int length = checkFrame(wire, wireOffset, wireLength);
        return decodeChecked(wire, wireOffset, length, payload, payloadOffset, header.firstPair());
    }

    /**
     * Decodes one wire frame with errors drawn for the given noise key: the same key, link seed, noise
     * stream and held channel give the same errors, whenever and in whatever order frames are decoded.
     *
     * @param wire          buffer holding the frame.
     * @param wireOffset    first byte of the frame.
     * @param wireLength    bytes of the frame.
     * @param payload       destination of the payload.
     * @param payloadOffset first payload byte.
     * @param noiseKey      identifies the transmission, e.g. its message sequence and retransmission round;
     *                      give every transmission of the link its own key.
     * @return payload bytes written.
     * @throws SuperdenseFrameException  if the frame is truncated, malformed, of another link or out of order.
     * @throws IndexOutOfBoundsException if the payload does not fit the destination.
     */
    public int decode(
        final DirectBuffer wire,
        final int wireOffset,
        final int wireLength,
        final MutableDirectBuffer payload,
        final int payloadOffset,
        final long noiseKey)
    {
        final int length = checkFrame(wire, wireOffset, wireLength);
        return decodeChecked(wire, wireOffset, length, payload, payloadOffset, noiseKey);
    }

    private int decodeChecked(
        final DirectBuffer wire,
        final int wireOffset,
        final int length,
        final MutableDirectBuffer payload,
        final int payloadOffset,
        final long noiseKey)
    {
        SuperdenseEncoder.requireRange("payload", payload, payloadOffset, length);
        final long pairs = (long)length * PauliFrame.PAIRS_PER_BYTE;
        final long expected = header.firstPair();
        final long firstPair = pool.take(pairs);
        if (firstPair != expected)
        {
            throw new IllegalStateException("pairs " + expected + ".. of link '" + pool.linkName() +
                "' were taken by another thread: one decoder per receiver pool");
        }
        final int symbolsOffset = wireOffset + SuperdenseFrameHeader.LENGTH;
        if (noiseless)
        {
            shareXor.apply(wire, symbolsOffset, payload, payloadOffset, length, shareStreamKey, firstPair, null);
        }
        else
        {
            decodeWithErrors(wire, symbolsOffset, payload, payloadOffset, length, firstPair,
                EprShares.derive(noiseSeed, EprShares.NOISE_DOMAIN, noiseKey));
        }
        return length;
    }

    /**
     * Decodes one wire frame held in an array.
     *
     * @param wire          array holding the frame.
     * @param wireOffset    first byte of the frame.
     * @param wireLength    bytes of the frame.
     * @param payload       destination of the payload.
     * @param payloadOffset first payload byte.
     * @return payload bytes written.
     * @throws SuperdenseFrameException if the frame is truncated, malformed, of another link or out of order.
     */
    public int decode(final byte[] wire, final int wireOffset, final int wireLength, final byte[] payload, final int payloadOffset)
    {
        wireView.wrap(wire);
        payloadView.wrap(payload);
        return decode(wireView, wireOffset, wireLength, payloadView, payloadOffset);
    }

    private int checkFrame(final DirectBuffer wire, final int wireOffset, final int wireLength)
    {
        if (wireLength < SuperdenseFrameHeader.LENGTH)
        {
            throw new SuperdenseFrameException(SuperdenseFrameException.Reason.TRUNCATED, wireLength +
                " bytes cannot hold the " + SuperdenseFrameHeader.LENGTH + "-byte frame header (link '" + pool.linkName() + "')");
        }
        SuperdenseEncoder.requireRange("wire", wire, wireOffset, wireLength);
        header.wrap(wire, wireOffset);
        if (header.magic() != SuperdenseFrameHeader.MAGIC)
        {
            throw new SuperdenseFrameException(SuperdenseFrameException.Reason.MALFORMED, "magic 0x" +
                Integer.toHexString(header.magic()) + " is not a superdense frame's 0x" + Integer.toHexString(SuperdenseFrameHeader.MAGIC));
        }
        final int length = header.payloadLength();
        if (length < 0)
        {
            throw new SuperdenseFrameException(SuperdenseFrameException.Reason.MALFORMED, "negative payload length " + length);
        }
        if (header.linkId() != pool.linkId())
        {
            throw new SuperdenseFrameException(SuperdenseFrameException.Reason.WRONG_LINK, "frame encoded for link id 0x" +
                Long.toHexString(header.linkId()) + ", this pool is link '" + pool.linkName() + "' with id 0x" +
                Long.toHexString(pool.linkId()) + " (different link name or seed)");
        }
        final long symbolBytes = (long)wireLength - SuperdenseFrameHeader.LENGTH;
        if (symbolBytes < length)
        {
            throw new SuperdenseFrameException(SuperdenseFrameException.Reason.TRUNCATED, "header announces " + length +
                " symbol bytes, only " + symbolBytes + " received (link '" + pool.linkName() + "')");
        }
        if (symbolBytes > length)
        {
            throw new SuperdenseFrameException(SuperdenseFrameException.Reason.MALFORMED, "header announces " + length +
                " symbol bytes, " + symbolBytes + " received (link '" + pool.linkName() + "')");
        }
        final long expected = pool.nextPair();
        if (header.firstPair() != expected)
        {
            throw new SuperdenseFrameException(SuperdenseFrameException.Reason.OUT_OF_ORDER, "frame starts at pair " +
                header.firstPair() + " but link '" + pool.linkName() + "' expects pair " + expected +
                (header.firstPair() > expected ? " (earlier frames lost)" : " (frame replayed or reordered)"));
        }
        return length;
    }

    /**
     * Decodes chunk by chunk so the error frame stays in cache: errors of each chunk are sampled into
     * the scratch frame, then applied (and cleared) with the shares. Geometric skipping restarts at
     * every chunk and segment boundary, which is exact because per-pair errors are independent.
     */
    private void decodeWithErrors(
        final DirectBuffer wire,
        final int symbolsOffset,
        final MutableDirectBuffer payload,
        final int payloadOffset,
        final int length,
        final long firstPair,
        final long frameNoiseSeed)
    {
        PauliErrorSampler sampler = constantSampler;
        long segmentEnd = Long.MAX_VALUE;
        if (constantSampler != null)
        {
            constantSampler.reseed(frameNoiseSeed);
        }
        else
        {
            segmentEnd = firstPair;
        }
        int chunk = 0;
        while (chunk < length)
        {
            final int chunkLength = Math.min(CHUNK_BYTES, length - chunk);
            final long chunkFirst = firstPair + (long)chunk * PauliFrame.PAIRS_PER_BYTE;
            final long chunkEnd = chunkFirst + (long)chunkLength * PauliFrame.PAIRS_PER_BYTE;
            long pair = chunkFirst;
            while (pair < chunkEnd)
            {
                if (pair >= segmentEnd)
                {
                    segmentEnd = pool.batchEndPair(pair);
                    final PauliChannel channel = pool.heldChannel(pool.distributionTimeNs(pair)).then(onlineChannel);
                    sampler = new PauliErrorSampler(channel, EprShares.mix64(frameNoiseSeed + (pair - firstPair)));
                }
                final long stop = Math.min(chunkEnd, segmentEnd);
                sampler.xorErrors(errors, pair - chunkFirst, stop - pair);
                pair = stop;
            }
            shareXor.apply(wire, symbolsOffset + chunk, payload, payloadOffset + chunk, chunkLength, shareStreamKey, chunkFirst, errors);
            chunk += chunkLength;
        }
    }
}
