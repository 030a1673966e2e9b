package io.qring.channel.epr;

/**
 * One distribution round of a pool: {@code usablePairs + sacrificedPairs} pairs were distributed at
 * {@code distributionTimeNs}; the sacrificed ones were then chosen for verification and the usable
 * ones numbered {@code [firstPair, firstPair + usablePairs)}.
 *
 * @param round              distribution round of the pool, 0, 1, 2, ... (the public randomness of the
 *                           verification is derived from the link seed and this number).
 * @param firstPair          index of the first usable pair of the batch.
 * @param usablePairs        pairs added to the pool for payload.
 * @param sacrificedPairs    pairs measured for verification, never used for payload.
 * @param distributionTimeNs time of distribution on the pool's clock.
 */
public record DistributedBatch(long round, long firstPair, long usablePairs, long sacrificedPairs, long distributionTimeNs)
{
    /** @return pairs distributed in this batch, usable plus sacrificed. */
    public long distributedPairs()
    {
        return usablePairs + sacrificedPairs;
    }
}
