package io.qring.samples.training;

/** How ranks share what they learn, each through one adapter of {@code io.qring.dl4j.QuantumRing}. */
public enum ExchangeMode
{
    /** Every iteration, every rank's update is averaged over the ring (synchronous data parallelism). */
    SYNC,
    /** DL4J's threshold/bitmap-encoded updates travel the ring (DL4J's SHARED_GRADIENTS semantics). */
    SPARSE,
    /**
     * Ranks train locally and average their parameters over the ring every k iterations and at the end of
     * every epoch, so every epoch ends with the same parameters on every rank.
     */
    AVERAGING
}
