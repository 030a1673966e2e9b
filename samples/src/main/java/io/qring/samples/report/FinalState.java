package io.qring.samples.report;

import java.util.List;
import java.util.Locale;

/**
 * How a run ended: a checksum of its final state (model parameters or all-reduce result) and whether every
 * rank ended in that state. Runs whose ranks agree and whose checksums are equal ended bit-identical.
 *
 * @param crc        CRC-32 of rank 0's final state.
 * @param ranksAgree whether every rank's final state has that checksum.
 */
public record FinalState(long crc, boolean ranksAgree)
{
    /**
     * @param rankCrcs the final-state checksum of every rank, rank 0 first.
     * @return rank 0's checksum and whether all are equal.
     * @throws IllegalArgumentException if there is no rank.
     */
    public static FinalState of(final List<Long> rankCrcs)
    {
        if (rankCrcs.isEmpty())
        {
            throw new IllegalArgumentException("a final state needs at least one rank");
        }
        return new FinalState(rankCrcs.get(0), rankCrcs.stream().distinct().count() == 1);
    }

    /** @return the checksum as the console prints it: 8 lower-case hex digits. */
    public String crcHex()
    {
        return String.format(Locale.ROOT, "%08x", crc);
    }
}
