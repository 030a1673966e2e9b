package io.qring.channel.ledger;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns successive cumulative ledger snapshots of links into what each link carried in between: every
 * snapshot minus the previous one of the same link, or minus an empty ledger for a link's first. Not
 * thread-safe.
 */
public final class LedgerDeltas
{
    private final Map<String, LedgerSnapshot> previous = new HashMap<>();

    /**
     * @param cumulative the cumulative snapshot of every link now.
     * @return per snapshot, in the same order, what its link carried since its previous snapshot.
     */
    public List<LedgerSnapshot> next(final Collection<LedgerSnapshot> cumulative)
    {
        final List<LedgerSnapshot> deltas = new ArrayList<>(cumulative.size());
        for (final LedgerSnapshot snapshot : cumulative)
        {
            deltas.add(snapshot.minus(previous.getOrDefault(snapshot.link(), LedgerSnapshot.empty(snapshot.link()))));
            previous.put(snapshot.link(), snapshot);
        }
        return deltas;
    }
}
