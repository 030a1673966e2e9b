package io.qring.dl4j;

/**
 * Told once per iteration per rank, by the thread that talked to the ring, right after the iteration's
 * exchange. Unlike a DL4J {@code TrainingListener} it also works inside {@code ParallelWrapper}, whose
 * listener support needs deeplearning4j-core on the classpath, and it runs once per rank rather than once
 * per worker. An exception (or error) thrown here fails the iteration on this rank with a
 * {@link RingTrainingException}, and the accumulator stops for good: this rank's workers did not take the
 * iteration's result while the other ranks did, so every later iteration on this rank fails too, with that
 * cause, rather than train replicas that are out of step (the other ranks then fail at their next exchange,
 * when this rank does not arrive). Catch inside the listener whatever should not stop training.
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
