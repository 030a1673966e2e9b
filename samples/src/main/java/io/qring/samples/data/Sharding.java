package io.qring.samples.data;

/**
 * How examples are split across the ranks of a ring: rank {@code r} of {@code N} takes the
 * contiguous slice {@code [r·n/N, (r+1)·n/N)} of the (already shuffled) training set, so the shards
 * are disjoint, cover every example and differ in size by at most one.
 */
public final class Sharding
{
    private Sharding()
    {
    }

    /**
     * First example of a rank's shard.
     *
     * @param rank      rank in {@code [0, worldSize)}.
     * @param worldSize number of ranks, ≥ 1.
     * @param count     number of examples to split, ≥ 0.
     * @return index of the first example of the shard (inclusive).
     */
    public static int shardStart(final int rank, final int worldSize, final int count)
    {
        validate(rank, worldSize, count);
        return (int)((long)rank * count / worldSize);
    }

    /**
     * End of a rank's shard.
     *
     * @param rank      rank in {@code [0, worldSize)}.
     * @param worldSize number of ranks, ≥ 1.
     * @param count     number of examples to split, ≥ 0.
     * @return index one past the last example of the shard (exclusive).
     */
    public static int shardEnd(final int rank, final int worldSize, final int count)
    {
        validate(rank, worldSize, count);
        return (int)((long)(rank + 1) * count / worldSize);
    }

    /**
     * Number of batches every rank runs per epoch, the same on all ranks so that a synchronous
     * all-reduce sees the same number of iterations everywhere: {@code ⌈⌊n/N⌋ / batchSize⌉}. A rank
     * whose shard holds one example more spreads it over these batches.
     *
     * @param count     number of training examples split across the ranks.
     * @param worldSize number of ranks, ≥ 1.
     * @param batchSize examples per batch, ≥ 1.
     * @return batches per epoch, ≥ 1.
     * @throws IllegalArgumentException if the smallest shard would be empty.
     */
    public static int batchesPerEpoch(final int count, final int worldSize, final int batchSize)
    {
        validate(0, worldSize, count);
        if (batchSize < 1)
        {
            throw new IllegalArgumentException("batch size must be at least 1: " + batchSize);
        }
        final int smallestShard = count / worldSize;
        if (smallestShard == 0)
        {
            throw new IllegalArgumentException(
                "too few examples to shard: " + count + " examples over " + worldSize + " ranks");
        }
        return (smallestShard + batchSize - 1) / batchSize;
    }

    /**
     * Fewest examples in any batch of any rank: every shard is split into {@link #batchesPerEpoch}
     * near-equal batches, so the smallest shard {@code ⌊n/N⌋} gives the smallest batch {@code ⌊⌊n/N⌋ / B⌋}.
     *
     * @param count     number of training examples split across the ranks.
     * @param worldSize number of ranks, ≥ 1.
     * @param batchSize the largest batch asked for, ≥ 1.
     * @return examples in the smallest batch, ≥ 1.
     * @throws IllegalArgumentException if the smallest shard would be empty.
     */
    public static int smallestBatch(final int count, final int worldSize, final int batchSize)
    {
        return count / worldSize / batchesPerEpoch(count, worldSize, batchSize);
    }

    /**
     * Most examples in any batch of any rank: the largest shard {@code ⌈n/N⌉} split into
     * {@link #batchesPerEpoch} near-equal batches gives {@code ⌈⌈n/N⌉ / B⌉}. That is at most
     * {@code batchSize}, or {@code batchSize + 1} when {@code ⌊n/N⌋} is a multiple of it and some shard holds
     * one example more.
     *
     * @param count     number of training examples split across the ranks.
     * @param worldSize number of ranks, ≥ 1.
     * @param batchSize the largest batch asked for, ≥ 1.
     * @return examples in the largest batch, ≥ 1.
     * @throws IllegalArgumentException if the smallest shard would be empty.
     */
    public static int largestBatch(final int count, final int worldSize, final int batchSize)
    {
        final int batches = batchesPerEpoch(count, worldSize, batchSize);
        final int largestShard = count / worldSize + (0 == count % worldSize ? 0 : 1);
        return (largestShard + batches - 1) / batches;
    }

    private static void validate(final int rank, final int worldSize, final int count)
    {
        if (worldSize < 1)
        {
            throw new IllegalArgumentException("world size must be at least 1: " + worldSize);
        }
        if (rank < 0 || rank >= worldSize)
        {
            throw new IllegalArgumentException("rank " + rank + " is outside [0, " + worldSize + ")");
        }
        if (count < 0)
        {
            throw new IllegalArgumentException("example count must not be negative: " + count);
        }
    }
}
