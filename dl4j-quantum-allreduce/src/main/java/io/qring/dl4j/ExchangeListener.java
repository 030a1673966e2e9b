package io.qring.dl4j;

/**
 * Told once per iteration per rank, by the thread that talked to the ring, right after the iteration's
 * exchange. Unlike a DL4J {@code TrainingListener} it also works inside {@code ParallelWrapper}, whose
 * listener support needs deeplearning4j-core on the classpath, and it runs once per rank rather than once
 * per worker. An exception thrown here fails the iteration on this rank.
 */
@FunctionalInterface
public interface ExchangeListener
{
    /**
     * @param iteration the model's iteration count of the exchange.
     * @param epoch     the model's epoch count.
     * @param applied   {@code false} when the ring skipped the iteration (non-finite update).
     */
    void exchangeDone(int iteration, int epoch, boolean applied);
}
