package io.qring.channel.ledger;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Running counts of what crossed one directed link (DESIGN §4). Safe for concurrent writers: the
 * sending and receiving sides of a link may record from different threads. Read it through
 * {@link #snapshot()}; the difference of two snapshots is what one all-reduce moved.
 */
public final class LinkLedger
{
    private final String link;
    private final AtomicLongArray counters = new AtomicLongArray(LedgerCounter.values().length);
    private volatile double capacityBitsPerQubit = 2.0;

    /**
     * @param link name of the directed link, e.g. {@code "0->1"}.
     */
    public LinkLedger(final String link)
    {
        this.link = link;
    }

    /**
     * Name for the directed link between two ranks.
     *
     * @param fromRank sending rank.
     * @param toRank   receiving rank.
     * @return {@code "from->to"}.
     */
    public static String linkName(final int fromRank, final int toRank)
    {
        return fromRank + "->" + toRank;
    }

    /** @return the directed link this ledger belongs to. */
    public String link()
    {
        return link;
    }

    /**
     * Adds to a counter.
     *
     * @param counter what is counted.
     * @param amount  amount to add, ≥ 0.
     */
    public void add(final LedgerCounter counter, final long amount)
    {
        if (amount < 0)
        {
            throw new IllegalArgumentException("ledger amounts are never negative: " + counter.key() + " += " + amount);
        }
        counters.addAndGet(counter.ordinal(), amount);
    }

    /**
     * @param counter what is counted.
     * @return its current total.
     */
    public long get(final LedgerCounter counter)
    {
        return counters.get(counter.ordinal());
    }

    /**
     * Records the dense-coding capacity bound 2 − H(p) of the link's pair and in-flight noise, reported
     * next to the measured goodput. Memory noise, which grows with each pair's storage time, is not in
     * it: with T1/T2 memory the bound is higher than what the stored pairs allow.
     *
     * @param bitsPerQubit capacity in [0, 2].
     * @throws IllegalArgumentException for a capacity outside [0, 2] or NaN.
     */
    public void capacityBitsPerQubit(final double bitsPerQubit)
    {
        if (!(bitsPerQubit >= 0 && bitsPerQubit <= 2))
        {
            throw new IllegalArgumentException("link " + link + ": dense-coding capacity must be in [0, 2] bits per qubit, got " +
                bitsPerQubit);
        }
        this.capacityBitsPerQubit = bitsPerQubit;
    }

    /** @return an immutable copy of the current counts. */
    public LedgerSnapshot snapshot()
    {
        final long[] values = new long[counters.length()];
        for (int i = 0; i < values.length; i++)
        {
            values[i] = counters.get(i);
        }
        return new LedgerSnapshot(link, values, capacityBitsPerQubit);
    }
}
