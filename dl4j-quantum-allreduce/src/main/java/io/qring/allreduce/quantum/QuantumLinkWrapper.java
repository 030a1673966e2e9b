package io.qring.allreduce.quantum;

import io.qring.allreduce.link.Link;
import io.qring.allreduce.link.LinkWrapper;
import io.qring.channel.codec.SuperdenseFrameHeader;
import io.qring.channel.epr.DistributionListener;
import io.qring.channel.epr.EprPool;
import io.qring.channel.epr.ExhaustionPolicy;
import io.qring.channel.ledger.LinkLedger;

import java.util.Map;

/**
 * Turns a ring's classical links into quantum links: the sending end of each directed link
 * superdense-codes over its EPR pool, the receiving end decodes, checks and repairs. Both ends derive
 * the link's pairs from the shared settings, so ranks in different processes agree without talking.
 */
final class QuantumLinkWrapper implements LinkWrapper
{
    private final QuantumLinkSettings settings;

    QuantumLinkWrapper(final QuantumLinkSettings settings)
    {
        this.settings = settings;
    }

    @Override
    public void checkRing(final int worldSize)
    {
        settings.checkRing(worldSize);
    }

    @Override
    public Map<String, String> ringSettings()
    {
        return settings.ringSettings();
    }

    @Override
    public Link wrapNext(final Link link, final int selfRank, final int nextRank)
    {
        return new QuantumSenderLink(link, settings, selfRank, nextRank);
    }

    @Override
    public Link wrapPrevious(final Link link, final int selfRank, final int previousRank)
    {
        return new QuantumReceiverLink(link, settings, previousRank, selfRank);
    }

    /**
     * One endpoint's EPR pool of a directed link. The engine flushes both of a rank's links after every
     * collective, and each end then tops its pool up to capacity in one distributed batch (the offline
     * phase), until the link falls back to classical bits; a collective that needs more pairs than the
     * pool holds distributes a whole batch of capacity pairs each time the pool runs out. Both ends
     * reserve and take the same pairs in the same order and top up after the same pairs (the sender's
     * flush waits until the receiver has everything), so their batches coincide. The receiving end's
     * batches time storage noise and feed verification, which the sending end repeats, from the same
     * seed, to learn the verdict before it codes a frame on the batch; the sending end's count the pairs
     * distributed, sacrificed and sent offline in the ledger.
     */
    static EprPool pool(
        final QuantumLinkSettings settings,
        final EprPool.Side side,
        final int fromRank,
        final int toRank,
        final LinkLedger ledger,
        final DistributionListener listener)
    {
        final EprPool.Builder builder = EprPool.builder()
            .linkName(LinkLedger.linkName(fromRank, toRank))
            .side(side)
            .capacity(settings.poolCapacityPairs())
            .linkSeed(settings.linkSeed(fromRank, toRank))
            .distributionChannel(settings.distributionChannel(fromRank, toRank))
            .exhaustionPolicy(ExhaustionPolicy.REFILL_ON_DEMAND)
            .verificationFraction(settings.verificationFraction())
            .clock(settings.clock())
            .ledger(ledger);
        if (settings.hasMemory())
        {
            builder.memory(settings.t1Seconds(), settings.t2Seconds());
        }
        if (listener != null)
        {
            builder.distributionListener(listener);
        }
        return builder.build();
    }

    /**
     * Largest payload one quantum frame of a directed link can carry over a transport message of a given
     * size: the frame adds a header, one checksum per block and the superdense header, and all its pairs
     * must come from one pool fill (4 pairs per byte). Blocks are sized for that link's own channel
     * ({@link QuantumLinkSettings#blockLength(int, int)}); a link not treated as noiseless
     * ({@link QuantumLinkSettings#isNoiseless}) reserves room for blocks as small as
     * {@link QuantumLinkSettings#MIN_ADAPTIVE_BLOCK_LENGTH}, so it can adapt to more noise than
     * configured. Both ends of the link compute the same value.
     */
    static int maxPayload(final int transportMaxMessage, final QuantumLinkSettings settings, final int fromRank, final int toRank)
    {
        final int blockLength = settings.blockLength(fromRank, toRank);
        final int reservedBlockLength = settings.isNoiseless(fromRank, toRank) || !settings.isBlockLengthAdaptive() ?
            blockLength : Math.min(blockLength, QuantumLinkSettings.MIN_ADAPTIVE_BLOCK_LENGTH);
        final long room = (long)transportMaxMessage - QuantumFrame.DATA_CRCS_OFFSET - SuperdenseFrameHeader.LENGTH - 4;
        long payload = reservedBlockLength >= room ? room : room * reservedBlockLength / (reservedBlockLength + 4L);
        payload = Math.min(payload, settings.poolCapacityPairs() / 4);
        payload &= ~7L;
        if (payload < 8)
        {
            throw new IllegalArgumentException("a quantum frame of link " + LinkLedger.linkName(fromRank, toRank) +
                " cannot fit in transport messages of " + transportMaxMessage + " bytes with blocks of " + reservedBlockLength +
                " bytes and an EPR pool of " + settings.poolCapacityPairs() + " pairs");
        }
        return (int)payload;
    }

    /**
     * Smallest block length (a multiple of 8 bytes) whose checksums still let a frame of the largest
     * payload fit in one transport message.
     */
    static int minBlockLength(final int transportMaxMessage, final int maxPayload)
    {
        final long room = (long)transportMaxMessage - QuantumFrame.DATA_CRCS_OFFSET - SuperdenseFrameHeader.LENGTH - maxPayload;
        final long blocks = Math.max(1, room / 4);
        final long length = (maxPayload + blocks - 1) / blocks;
        return (int)Math.max(8, (length + 7) & ~7L);
    }
}
