package io.qring.benchmarks;

import java.util.Arrays;

/** The medians of repeated measurements and the rounding of the figures the benchmarks print. */
final class Figures
{
    private Figures()
    {
    }

    /**
     * @param values measurements, at least one.
     * @return their median (mean of the middle two for an even count).
     */
    static double median(final double[] values)
    {
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        final int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /**
     * @param values measurements, e.g. nanoseconds, at least one.
     * @return their median; for an even count the mean of the middle two in {@code long} arithmetic (rounded down).
     */
    static long median(final long[] values)
    {
        final long[] sorted = values.clone();
        Arrays.sort(sorted);
        final int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /**
     * @param value a figure.
     * @return it rounded to 4 decimals.
     */
    static double round(final double value)
    {
        return Math.round(value * 1e4) / 1e4;
    }
}
