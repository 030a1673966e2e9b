package io.qring.allreduce.quantum;

/** What a quantum link does when verification of its EPR pairs raises an alarm. */
public enum AlarmPolicy
{
    /** Stop: the link fails with a {@link QuantumLinkException} and the collective with it. */
    ABORT,
    /**
     * Carry on over the classical link: both ends verify every batch, and each reserves a frame's pairs
     * before it codes or decodes the frame, so the first frame whose pairs would come from a batch that
     * failed, and every frame after it (repairs of frames already sent included), travels as plain
     * classical bits, recorded as {@code fallbackClassicalBits}. No payload rides pairs that failed, the
     * switch falls on the same frame in every run, and the link distributes no more pairs.
     */
    FALLBACK_CLASSICAL
}
