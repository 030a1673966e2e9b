package io.qring.channel.exact;

import io.qring.channel.noise.PauliChannel;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Assertions comparing exact decoding tables with the Pauli-frame prediction. */
final class ExactTables
{
    /** Tolerance of every exact comparison. */
    static final double TOLERANCE = 1e-12;

    private ExactTables()
    {
    }

    /**
     * Asserts P(decoded | sent) = channel.weight(sent XOR decoded) for every message and symbol.
     */
    static void assertPauliEquivalent(final PauliChannel expected, final double[][] table, final String context)
    {
        for (int sent = 0; sent < SuperdenseCodingCircuit.MESSAGE_COUNT; sent++)
        {
            double rowSum = 0;
            for (int decoded = 0; decoded < SuperdenseCodingCircuit.MESSAGE_COUNT; decoded++)
            {
                assertEquals(expected.weight(sent ^ decoded), table[sent][decoded], TOLERANCE,
                    context + ": P(decoded=" + decoded + " | sent=" + sent + ") vs " + expected);
                rowSum += table[sent][decoded];
            }
            assertEquals(1.0, rowSum, TOLERANCE, context + ": row " + sent + " sums to 1");
        }
    }

    /** @return the Shannon entropy in bits of a distribution, computed independently of PauliChannel. */
    static double entropyBits(final double[] distribution)
    {
        double entropy = 0;
        for (final double p : distribution)
        {
            if (p > 0)
            {
                entropy -= p * Math.log(p) / Math.log(2);
            }
        }
        return entropy;
    }
}
