package io.qring.allreduce.quantum;

/** What a quantum link does when verification of its EPR pairs raises an alarm. */
public enum AlarmPolicy
{
    /** Stop: the link fails with a {@link QuantumLinkException} and the collective with it. */
    ABORT,
    /**
     * Carry on over the classical link: every later frame (and every repair of a frame already sent)
     * travels as plain classical bits, recorded as {@code fallbackClassicalBits}.
     */
    FALLBACK_CLASSICAL
}
