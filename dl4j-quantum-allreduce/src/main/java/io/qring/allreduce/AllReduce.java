package io.qring.allreduce;

/**
 * A collective that combines equally long arrays held by every rank so that each rank ends with the
 * same result. Calls are collective: every rank of the ring must make the same call in the same order.
 * Implementations fail with an exception naming the cause (peer, timeout, length mismatch) rather than
 * block forever or deliver wrong numbers. An instance runs one collective at a time: callers on several
 * threads (e.g. local training workers) must take turns ({@link RingAllReduce} refuses an overlapping call
 * with {@link IllegalStateException}).
 */
public interface AllReduce extends AutoCloseable
{
    /** @return this process's rank in {@code [0, worldSize())}. */
    int rank();

    /** @return the number of ranks in the ring. */
    int worldSize();

    /**
     * Combines {@code data} across all ranks in place.
     *
     * @param data this rank's contribution; on return, the combined result, bit-identical on every rank.
     * @param op   how contributions are combined.
     */
    void allReduce(float[] data, ReduceOp op);

    /**
     * Combines {@code data} across all ranks in place.
     *
     * @param data this rank's contribution; on return, the combined result, bit-identical on every rank.
     * @param op   how contributions are combined.
     */
    void allReduce(double[] data, ReduceOp op);

    /**
     * Gathers one variable-length byte message from every rank around the ring, each message crossing
     * every link once (used by the sparse, threshold-encoded DL4J sharing).
     *
     * @param local this rank's message (may be empty).
     * @return the messages of all ranks, indexed by rank; element {@code rank()} is a copy of {@code local}.
     */
    byte[][] allGather(byte[] local);

    /** Releases links, buffers and any embedded media driver this instance owns. */
    @Override
    void close();
}
