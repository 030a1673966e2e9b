package io.qring.allreduce.quantum;

import io.qring.channel.frame.PauliFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The block length a quantum link's sender cuts its messages into, adapted to the noise they meet. A
 * message's first transmission is evidence: with F of B blocks of P pairs on average failing, the
 * symbol error probability p solves 1 − (1 − p)^P = F / B (noise from storage, an eavesdropper or a
 * changed channel is only seen this way), and the blocks that p calls for are
 * {@link QuantumLinkSettings#blockLengthFor}'s, never shorter than the link's smallest.
 * <p>
 * The link's length changes only at {@link #adapt()}, between collectives, from the first transmissions
 * of all messages sent since the last adaptation pooled: which messages use which blocks (and so every
 * counter of the ledger) then follows from the seed alone, and an unlucky small message cannot drag
 * the link's blocks down. {@link #proposed} judges one message's failures on their own, for re-splitting
 * that message's blocks at once. Not thread-safe: the sender calls it under its lock.
 */
final class BlockLengthAdaptation
{
    /** First-transmission blocks an adaptation needs as evidence. */
    static final int MIN_ADAPTATION_BLOCKS = 64;

    private static final Logger LOG = LoggerFactory.getLogger(BlockLengthAdaptation.class);

    private final String link;
    private final boolean adaptive;
    private final int minBlockLength;
    private int blockLength;
    /** Blocks of quantum messages sent since the block length last adapted, their pairs, and how many failed at first. */
    private long sentBlocks;
    private long sentBlockPairs;
    private long failedBlocks;

    /**
     * @param link           the link's name, for the log.
     * @param blockLength    the block length to start with.
     * @param adaptive       whether the length adapts; if not, it stays {@code blockLength}.
     * @param minBlockLength the shortest block the link can carry the checksums of.
     */
    BlockLengthAdaptation(final String link, final int blockLength, final boolean adaptive, final int minBlockLength)
    {
        this.link = link;
        this.blockLength = blockLength;
        this.adaptive = adaptive;
        this.minBlockLength = minBlockLength;
    }

    /**
     * @return the block length of messages sent now, in payload bytes.
     */
    int blockLength()
    {
        return blockLength;
    }

    /**
     * @return the shortest block length the link ever uses, in payload bytes.
     */
    int minBlockLength()
    {
        return minBlockLength;
    }

    /**
     * Counts the first transmission of a superdense-coded message as evidence.
     *
     * @param blocks       its blocks.
     * @param payloadBytes its length.
     */
    void onFirstTransmission(final int blocks, final int payloadBytes)
    {
        sentBlocks += blocks;
        sentBlockPairs += (long)PauliFrame.PAIRS_PER_BYTE * payloadBytes;
    }

    /**
     * Counts the blocks of a superdense-coded message's first transmission that failed their checksums.
     *
     * @param blocks blocks the receiver asked to have resent.
     */
    void onFirstFailures(final int blocks)
    {
        failedBlocks += blocks;
    }

    /**
     * Sizes the blocks of later messages from the evidence since the last adaptation and starts collecting
     * anew. It waits for {@link #MIN_ADAPTATION_BLOCKS} blocks, and keeps the length while none failed
     * (no evidence of noise). Call it between collectives, when every message has been answered.
     */
    void adapt()
    {
        if (!adaptive || sentBlocks < MIN_ADAPTATION_BLOCKS)
        {
            return;
        }
        if (failedBlocks > 0)
        {
            final double symbolError = symbolErrorFor((double)failedBlocks / sentBlocks, (double)sentBlockPairs / sentBlocks);
            final int adapted = Math.max(minBlockLength, QuantumLinkSettings.blockLengthFor(symbolError));
            if (adapted != blockLength)
            {
                LOG.debug("{}: {} of {} blocks failed, estimated symbol error {}; blocks of {} bytes from now on",
                    link, failedBlocks, sentBlocks, symbolError, adapted);
                blockLength = adapted;
            }
        }
        sentBlocks = 0;
        sentBlockPairs = 0;
        failedBlocks = 0;
    }

    /**
     * The block length one message's failures call for, to decide whether to split its blocks at once.
     *
     * @param failed     blocks that failed among those just checked.
     * @param blocks     blocks just checked: all of the message's at first, then those the last repair resent.
     * @param blockBytes bytes of the message's blocks: its block length, or its length if that is shorter.
     * @return the proposed block length, or {@code blockBytes} if blocks do not adapt.
     */
    int proposed(final int failed, final int blocks, final int blockBytes)
    {
        if (!adaptive || blocks == 0)
        {
            return blockBytes;
        }
        return Math.max(minBlockLength, QuantumLinkSettings.blockLengthFor(
            symbolErrorFor((double)failed / blocks, (double)PauliFrame.PAIRS_PER_BYTE * blockBytes)));
    }

    /**
     * @param failedShare   share of blocks that failed, capped just below 1.
     * @param pairsPerBlock pairs per block.
     * @return p such that a block of {@code pairsPerBlock} pairs fails with probability {@code failedShare}.
     */
    static double symbolErrorFor(final double failedShare, final double pairsPerBlock)
    {
        return 1 - Math.pow(1 - Math.min(failedShare, 1 - 1e-9), 1 / pairsPerBlock);
    }
}
