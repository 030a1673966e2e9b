package io.qring.channel.epr;

/**
 * Told about every batch a pool distributes, e.g. to verify its sacrificed pairs. Invoked on the
 * refilling thread while the pool is locked, before any pair of the batch can be taken: keep it short.
 * An exception thrown here propagates out of {@link EprPool#refill()} (or the {@link EprPool#take(long)}
 * that refilled on demand); the batch stays distributed.
 */
@FunctionalInterface
public interface DistributionListener
{
    /**
     * @param pool  the pool that distributed the batch.
     * @param batch the batch just distributed.
     */
    void onDistributed(EprPool pool, DistributedBatch batch);
}
