package io.qring.allreduce.quantum;

/** What a quantum link does when verification of its EPR pairs raises an alarm. */
public enum AlarmPolicy
{
    /**
     * Stop: the link fails with a {@link QuantumLinkException} and the collective with it. The sender,
     * verifying the same batches, codes nothing on pairs that failed: it announces the alarm in place of
     * the first frame coded after a batch fails, the receiver fails the link there, and the sender's end
     * of the collective fails too.
     */
    ABORT,
    /**
     * Carry on over the classical link: both ends verify every batch, and each reserves a frame's pairs
     * (distributing and verifying a batch if the frame needs one) before it codes or decodes the frame,
     * so the first frame coded after a batch fails, and every frame after it (repairs of frames already
     * sent included), travels as plain classical bits, recorded as {@code fallbackClassicalBits}. No
     * payload rides pairs that failed, both ends switch at the same frame, and the link distributes no
     * more pairs. Which frame that is follows from the seed, unless the failing batch is distributed in
     * the middle of a collective while repairs are in flight: a repair and a data frame may then reach
     * it in either order.
     */
    FALLBACK_CLASSICAL
}
