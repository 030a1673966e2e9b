package io.qring.dl4j;

/**
 * What the synchronous ring does when an update of some worker contains NaN or an infinity (or the
 * combined update overflows). Every rank sees the same combined flags, so every rank takes the same
 * decision in the same iteration. Not to be confused with
 * {@link io.qring.allreduce.config.NonFinitePolicy}, which governs the inputs of a single all-reduce.
 */
public enum NonFiniteUpdatePolicy
{
    /**
     * Every rank skips the iteration (parameters stay as they were) and logs a warning; training goes on.
     * Updater state (e.g. Adam moments) has already absorbed the local gradient and is not rolled back.
     */
    SKIP_WITH_WARNING,

    /** Every rank fails the iteration with a {@link RingTrainingException}. */
    FAIL
}
