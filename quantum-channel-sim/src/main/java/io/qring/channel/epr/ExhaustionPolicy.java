package io.qring.channel.epr;

/**
 * What {@link EprPool#take(long)} does when the pool holds fewer pairs than requested.
 */
public enum ExhaustionPolicy
{
    /** Throw {@link EprPoolExhaustedException} at once. */
    FAIL,
    /** Distribute a fresh batch of capacity pairs (counted as offline qubits) and carry on. */
    REFILL_ON_DEMAND,
    /**
     * Wait for another thread's {@link EprPool#refill()} up to the pool's block timeout, then throw
     * {@link EprPoolExhaustedException}.
     */
    BLOCK
}
