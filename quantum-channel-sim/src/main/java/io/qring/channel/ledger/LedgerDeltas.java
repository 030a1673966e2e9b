package io.qring.channel.ledger;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns successive cumulative ledger snapshots of links into what each link carried in between: every
 * link's snapshot minus its previous one, or minus an empty ledger for a link's first. Snapshots of the
 * same link in one call (e.g. a quantum link's sending and receiving ends) are merged first, so each link
 * is differenced against its own whole previous count. Not thread-safe.
 */
public final class LedgerDeltas
{
    private final Map<String, LedgerSnapshot> previous = new HashMap<>();

    /**
     * @param cumulative the cumulative snapshots of every link now, any number per link.
     * @return per link, in the order the links first appear, what it carried since its previous snapshot.
     * @throws IllegalArgumentException if a link counts less of something than at its previous snapshot
     *                                  (the source is not one cumulative ledger, e.g. a ring rebuilt under
     *                                  the same link names); see {@link LedgerSnapshot#minus}.
     */
    public List<LedgerSnapshot> next(final Collection<LedgerSnapshot> cumulative)
    {
        final List<LedgerSnapshot> merged = LedgerSnapshot.mergeByLink(cumulative);
        final List<LedgerSnapshot> deltas = new ArrayList<>(merged.size());
        for (final LedgerSnapshot snapshot : merged)
        {
            deltas.add(snapshot.minus(previous.getOrDefault(snapshot.link(), LedgerSnapshot.empty(snapshot.link()))));
            previous.put(snapshot.link(), snapshot);
        }
        return deltas;
    }
}
