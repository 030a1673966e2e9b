package io.qring.allreduce;

/** How an all-reduce combines the ranks' contributions. */
public enum ReduceOp
{
    /** Element-wise sum, formed in a fixed order so every rank gets the same bits. */
    SUM,
    /** Element-wise sum divided by the world size. */
    AVERAGE
}
