package io.qring.allreduce;

/**
 * An all-reduce input held NaN or an infinity under {@code NonFinitePolicy.REJECT}. Every rank throws
 * it, naming the lowest offending rank, the first offending index there and its value, before any data
 * moved; the ring stays usable.
 */
public final class NonFiniteValueException extends IllegalArgumentException
{
    private final int offendingRank;
    private final long index;
    private final double value;

    /**
     * @param offendingRank the lowest rank whose input is not finite.
     * @param index         first non-finite index in that rank's input.
     * @param value         the value there.
     * @param message       full description.
     */
    public NonFiniteValueException(final int offendingRank, final long index, final double value, final String message)
    {
        super(message);
        this.offendingRank = offendingRank;
        this.index = index;
        this.value = value;
    }

    /** @return the lowest rank whose input is not finite. */
    public int offendingRank()
    {
        return offendingRank;
    }

    /** @return the first non-finite index in that rank's input. */
    public long index()
    {
        return index;
    }

    /** @return the non-finite value found. */
    public double value()
    {
        return value;
    }
}
