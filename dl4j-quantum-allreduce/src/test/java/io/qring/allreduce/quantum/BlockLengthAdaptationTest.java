package io.qring.allreduce.quantum;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BlockLengthAdaptationTest
{
    private static final int START = 65_536;
    private static final int MIN = 64;
    /** Blocks of 1 KiB: 4,096 pairs each. */
    private static final int BLOCK_BYTES = 1024;
    private static final double PAIRS = 4.0 * BLOCK_BYTES;

    @Test
    void shouldInvertTheBlockFailureProbabilityExactly()
    {
        for (final double p : new double[]{1e-6, 1e-4, 1e-3, 3e-3})
        {
            final double failedShare = 1 - Math.pow(1 - p, PAIRS);

            assertEquals(p, BlockLengthAdaptation.symbolErrorFor(failedShare, PAIRS), p * 1e-9, "p = " + p);
        }
        assertEquals(1 - Math.pow(1e-9, 1 / PAIRS), BlockLengthAdaptation.symbolErrorFor(1.0, PAIRS), 1e-10,
            "a share of 1 is capped just below it, so p stays below 1");
    }

    @Test
    void shouldSizeBlocksForThePooledEvidenceOnceItSuffices()
    {
        final BlockLengthAdaptation blocking = new BlockLengthAdaptation("0->1", START, true, MIN);
        blocking.onFirstTransmission(BlockLengthAdaptation.MIN_ADAPTATION_BLOCKS - 1, (BlockLengthAdaptation.MIN_ADAPTATION_BLOCKS - 1) * BLOCK_BYTES);
        blocking.onFirstFailures(9);

        blocking.adapt();
        assertEquals(START, blocking.blockLength(), "63 blocks are not evidence enough");

        blocking.onFirstTransmission(1, BLOCK_BYTES);
        blocking.onFirstFailures(1);
        blocking.adapt();

        final double p = BlockLengthAdaptation.symbolErrorFor(10.0 / 64, PAIRS);
        assertEquals(Math.max(MIN, QuantumLinkSettings.blockLengthFor(p)), blocking.blockLength(), "the 64 blocks pooled");
        assertEquals(QuantumLinkSettings.blockLengthFor(p), blocking.blockLength(), "p = " + p + " calls for longer blocks than the minimum");
    }

    @Test
    void shouldKeepTheLengthWithoutFailuresAndStartAnewAfterEachAdaptation()
    {
        final BlockLengthAdaptation blocking = new BlockLengthAdaptation("0->1", START, true, MIN);
        blocking.onFirstTransmission(100, 100 * BLOCK_BYTES);
        blocking.adapt();
        assertEquals(START, blocking.blockLength(), "no failure, no evidence of noise");

        blocking.onFirstFailures(50);
        blocking.onFirstTransmission(63, 63 * BLOCK_BYTES);
        blocking.adapt();
        assertEquals(START, blocking.blockLength(), "the 100 clean blocks were used up by the last adaptation");
    }

    @Test
    void shouldNeverGoBelowTheShortestBlock()
    {
        final BlockLengthAdaptation blocking = new BlockLengthAdaptation("0->1", START, true, 4096);
        blocking.onFirstTransmission(64, 64 * BLOCK_BYTES);
        blocking.onFirstFailures(64);

        blocking.adapt();

        assertEquals(4096, blocking.blockLength());
        assertEquals(4096, blocking.proposed(10, 10, BLOCK_BYTES));
    }

    @Test
    void shouldProposeBlocksForOneMessagesFailures()
    {
        final BlockLengthAdaptation blocking = new BlockLengthAdaptation("0->1", START, true, MIN);

        assertEquals(QuantumLinkSettings.blockLengthFor(BlockLengthAdaptation.symbolErrorFor(3.0 / 16, PAIRS)),
            blocking.proposed(3, 16, BLOCK_BYTES));
        assertEquals(BLOCK_BYTES, blocking.proposed(3, 0, BLOCK_BYTES), "nothing checked, nothing proposed");
        assertEquals(START, blocking.blockLength(), "a proposal does not change the link's length");
    }

    @Test
    void shouldNeverChangeWhenNotAdaptive()
    {
        final BlockLengthAdaptation blocking = new BlockLengthAdaptation("0->1", START, false, MIN);
        blocking.onFirstTransmission(1000, 1000 * BLOCK_BYTES);
        blocking.onFirstFailures(500);

        blocking.adapt();

        assertEquals(START, blocking.blockLength());
        assertEquals(BLOCK_BYTES, blocking.proposed(500, 1000, BLOCK_BYTES));
    }
}
