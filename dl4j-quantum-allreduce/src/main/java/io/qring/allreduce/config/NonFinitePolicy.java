package io.qring.allreduce.config;

/** What an all-reduce does when an input holds NaN or an infinity. */
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
