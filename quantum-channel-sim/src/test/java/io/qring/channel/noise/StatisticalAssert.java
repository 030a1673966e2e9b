package io.qring.channel.noise;

import org.apache.commons.math3.distribution.ChiSquaredDistribution;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Statistical assertions shared by the tests: chi-square goodness of fit and independence at a stated
 * significance, and binomial counts within a stated number of standard deviations. Critical values
 * come from commons-math3's chi-square distribution.
 */
public final class StatisticalAssert
{
    /** Significance of every chi-square test: a correct implementation fails with probability 10^−4. */
    public static final double SIGNIFICANCE = 1e-4;
    /** Tolerance of every binomial count, in standard deviations. */
    public static final double SIGMAS = 5.0;

    private StatisticalAssert()
    {
    }

    /**
     * @param degreesOfFreedom df.
     * @param significance     probability of exceeding the value under the null hypothesis.
     * @return the chi-square critical value.
     */
    public static double chiSquareCritical(final int degreesOfFreedom, final double significance)
    {
        return new ChiSquaredDistribution(degreesOfFreedom).inverseCumulativeProbability(1 - significance);
    }

    /**
     * Pearson goodness of fit at {@link #SIGNIFICANCE}. Cells of probability 0 must be empty and do not
     * count as degrees of freedom.
     *
     * @param observed      counts per cell.
     * @param probabilities exact cell probabilities.
     * @param what          description for the failure message.
     */
    public static void assertFits(final long[] observed, final double[] probabilities, final String what)
    {
        final long total = Arrays.stream(observed).sum();
        double statistic = 0;
        int cells = 0;
        for (int i = 0; i < observed.length; i++)
        {
            if (probabilities[i] == 0)
            {
                assertEquals(0, observed[i], what + ": cell " + i + " has probability 0");
                continue;
            }
            final double expected = total * probabilities[i];
            final double d = observed[i] - expected;
            statistic += d * d / expected;
            cells++;
        }
        if (cells < 2)
        {
            return;
        }
        final double critical = chiSquareCritical(cells - 1, SIGNIFICANCE);
        assertTrue(statistic <= critical, what + ": chi-square " + statistic + " > critical " + critical + " (df=" +
            (cells - 1) + ", p=" + SIGNIFICANCE + "), observed " + Arrays.toString(observed) + " expected probabilities " +
            Arrays.toString(probabilities));
    }

    /**
     * Goodness of fit to the uniform distribution.
     *
     * @param observed counts per cell.
     * @param what     description for the failure message.
     */
    public static void assertUniform(final long[] observed, final String what)
    {
        final double[] p = new double[observed.length];
        Arrays.fill(p, 1.0 / observed.length);
        assertFits(observed, p, what);
    }

    /**
     * Pearson test of independence of the rows and columns of a contingency table at
     * {@link #SIGNIFICANCE}, df = (rows − 1)(columns − 1).
     *
     * @param table counts, every row and column non-empty.
     * @param what  description for the failure message.
     */
    public static void assertIndependent(final long[][] table, final String what)
    {
        final int rows = table.length;
        final int columns = table[0].length;
        final long[] rowSums = new long[rows];
        final long[] columnSums = new long[columns];
        long total = 0;
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                rowSums[r] += table[r][c];
                columnSums[c] += table[r][c];
                total += table[r][c];
            }
        }
        double statistic = 0;
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                final double expected = (double)rowSums[r] * columnSums[c] / total;
                final double d = table[r][c] - expected;
                statistic += d * d / expected;
            }
        }
        final int df = (rows - 1) * (columns - 1);
        final double critical = chiSquareCritical(df, SIGNIFICANCE);
        assertTrue(statistic <= critical, what + ": independence chi-square " + statistic + " > critical " + critical +
            " (df=" + df + ", p=" + SIGNIFICANCE + ")");
    }

    /**
     * A binomial count within {@link #SIGMAS} standard deviations of its mean (exactly 0 or n when p is
     * 0 or 1).
     *
     * @param successes observed successes.
     * @param trials    trials.
     * @param p         exact success probability.
     * @param what      description for the failure message.
     */
    public static void assertBinomial(final long successes, final long trials, final double p, final String what)
    {
        final double mean = trials * p;
        final double sigma = Math.sqrt(trials * p * (1 - p));
        assertTrue(Math.abs(successes - mean) <= SIGMAS * sigma, what + ": " + successes + " of " + trials +
            ", expected " + mean + " ± " + SIGMAS + "·" + sigma + " (p=" + p + ")");
    }

    /**
     * @param channel a Pauli channel.
     * @return its label probabilities in {@link io.qring.channel.frame.PauliFrame#countLabels} order [I, X, Z, Y].
     */
    public static double[] labelProbabilities(final PauliChannel channel)
    {
        return new double[] {channel.pI(), channel.pX(), channel.pZ(), channel.pY()};
    }
}
