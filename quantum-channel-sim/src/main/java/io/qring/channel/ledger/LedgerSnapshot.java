package io.qring.channel.ledger;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Immutable counts of one directed link (or of several merged), as exported to CSV here and to JSON by
 * the ring module ({@code io.qring.allreduce.LedgerJson}): this module depends on nothing but Agrona and SLF4J.
 */
public final class LedgerSnapshot
{
    private static final LedgerCounter[] COUNTERS = LedgerCounter.values();

    private final String link;
    private final long[] values;
    private final double capacityBitsPerQubit;

    LedgerSnapshot(final String link, final long[] values, final double capacityBitsPerQubit)
    {
        this.link = link;
        this.values = values;
        this.capacityBitsPerQubit = capacityBitsPerQubit;
    }

    /**
     * An all-zero snapshot.
     *
     * @param link name of the link.
     * @return a snapshot whose every count is zero.
     */
    public static LedgerSnapshot empty(final String link)
    {
        return new LedgerSnapshot(link, new long[COUNTERS.length], 2.0);
    }

    /**
     * Merges snapshots of several links (e.g. every link of a ring) by adding their counts.
     *
     * @param name      name of the merged view, e.g. {@code "ring"}.
     * @param snapshots the snapshots to add.
     * @return their sum; capacity is the smallest of the inputs.
     */
    public static LedgerSnapshot merge(final String name, final Collection<LedgerSnapshot> snapshots)
    {
        final long[] sum = new long[COUNTERS.length];
        double capacity = 2.0;
        for (final LedgerSnapshot s : snapshots)
        {
            for (int i = 0; i < sum.length; i++)
            {
                sum[i] += s.values[i];
            }
            capacity = Math.min(capacity, s.capacityBitsPerQubit);
        }
        return new LedgerSnapshot(name, sum, capacity);
    }

    /**
     * Merges the snapshots of each link into one: a link may have several, e.g. a quantum link's sending
     * and receiving ends, which count different things under the link's name.
     *
     * @param snapshots snapshots of links, any number per link.
     * @return one snapshot per link name, in the order the names first appear; a link's only snapshot as it is.
     */
    public static List<LedgerSnapshot> mergeByLink(final Collection<LedgerSnapshot> snapshots)
    {
        final Map<String, List<LedgerSnapshot>> byLink = new LinkedHashMap<>();
        for (final LedgerSnapshot snapshot : snapshots)
        {
            byLink.computeIfAbsent(snapshot.link, link -> new ArrayList<>()).add(snapshot);
        }
        final List<LedgerSnapshot> merged = new ArrayList<>(byLink.size());
        byLink.forEach((link, ofLink) -> merged.add(1 == ofLink.size() ? ofLink.get(0) : merge(link, ofLink)));
        return merged;
    }

    /** @return the link (or merged view) these counts belong to. */
    public String link()
    {
        return link;
    }

    /**
     * @param counter what is counted.
     * @return its value.
     */
    public long get(final LedgerCounter counter)
    {
        return values[counter.ordinal()];
    }

    /** @return the dense-coding capacity bound 2 − H(p) of the link noise, bits per qubit. */
    public double capacityBitsPerQubit()
    {
        return capacityBitsPerQubit;
    }

    /**
     * Payload bits the qubits delivered per qubit spent online (first sends plus retransmissions):
     * payload carried by the classical fallback after a verification alarm is not counted. 2.0 on a
     * noiseless link; 0 when no qubit was sent.
     *
     * @return goodput in bits per qubit.
     */
    public double goodputBitsPerQubit()
    {
        final long qubits = get(LedgerCounter.ONLINE_QUBITS) + get(LedgerCounter.RETRANSMITTED_QUBITS);
        final long quantumPayload = Math.max(0, get(LedgerCounter.PAYLOAD_BITS) - get(LedgerCounter.FALLBACK_CLASSICAL_BITS));
        return qubits == 0 ? 0.0 : (double)quantumPayload / qubits;
    }

    /**
     * What moved between an earlier snapshot of the same link and this one.
     *
     * @param earlier a snapshot of the same link taken before this one.
     * @return the element-wise difference.
     * @throws IllegalArgumentException if {@code earlier} is of another link, or counts more of something
     *                                  than this one (it was taken later, or of another ledger).
     */
    public LedgerSnapshot minus(final LedgerSnapshot earlier)
    {
        if (!link.equals(earlier.link))
        {
            throw new IllegalArgumentException("cannot subtract the ledger of link " + earlier.link + " from that of link " + link);
        }
        final long[] diff = new long[values.length];
        for (int i = 0; i < diff.length; i++)
        {
            diff[i] = values[i] - earlier.values[i];
            if (diff[i] < 0)
            {
                throw new IllegalArgumentException("ledger of link " + link + ": the earlier snapshot counts " + earlier.values[i] +
                    " " + COUNTERS[i].key() + ", more than the later one's " + values[i]);
            }
        }
        return new LedgerSnapshot(link, diff, capacityBitsPerQubit);
    }

    /** @return counts keyed by {@link LedgerCounter#key()}, in declaration order. */
    public Map<String, Long> counts()
    {
        final Map<String, Long> map = new LinkedHashMap<>();
        for (final LedgerCounter c : COUNTERS)
        {
            map.put(c.key(), values[c.ordinal()]);
        }
        return map;
    }

    /** @return the CSV header matching {@link #toCsvRow()}. */
    public static String csvHeader()
    {
        final StringBuilder sb = new StringBuilder("link");
        for (final LedgerCounter c : COUNTERS)
        {
            sb.append(',').append(c.key());
        }
        return sb.append(",goodputBitsPerQubit,capacityBitsPerQubit").toString();
    }

    /** @return this snapshot as one CSV row. */
    public String toCsvRow()
    {
        final StringBuilder sb = new StringBuilder(link);
        for (final long v : values)
        {
            sb.append(',').append(v);
        }
        return sb.append(',').append(goodputBitsPerQubit()).append(',').append(capacityBitsPerQubit).toString();
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof LedgerSnapshot other && link.equals(other.link) &&
            Arrays.equals(values, other.values) && Double.compare(capacityBitsPerQubit, other.capacityBitsPerQubit) == 0;
    }

    @Override
    public int hashCode()
    {
        return 31 * link.hashCode() + Arrays.hashCode(values);
    }

    @Override
    public String toString()
    {
        return link + " " + counts() + ", goodputBitsPerQubit=" + goodputBitsPerQubit() + ", capacityBitsPerQubit=" +
            capacityBitsPerQubit;
    }
}
