package io.qring.allreduce.config;

/**
 * What an all-reduce does when an input holds NaN or an infinity. Every rank of a ring must use the same
 * policy: an all-reduce on ranks that differ fails on every rank with {@code CollectiveMismatchException}
 * before any data moves.
 */
public enum NonFinitePolicy
{
    /**
     * Every rank fails the call with {@code NonFiniteValueException} naming the first offending rank,
     * index and value, before any data moves; the ring stays usable.
     */
    REJECT,
    /** Non-finite values are reduced like any other (IEEE 754 arithmetic: NaN spreads, ∞ + −∞ = NaN). */
    PROPAGATE
}
