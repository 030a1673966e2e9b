package io.qring.samples.report;

/**
 * Test accuracy measured after an iteration, with the wall time of the epoch that iteration ended when the
 * evaluating rank measured it.
 *
 * @param iteration    the iteration after which the model was evaluated.
 * @param testAccuracy fraction of test examples classified correctly, in {@code [0, 1]}.
 * @param epochSeconds wall time the evaluating rank spent on the epoch before this evaluation (iterating its
 *                     shard, fitting, exchanging with the ring, recording; the evaluation itself excluded), or NaN
 *                     when not measured.
 */
public record Evaluation(long iteration, double testAccuracy, double epochSeconds)
{
    /**
     * Test accuracy target: the console summary names the first epoch that reached it, and the DL4J
     * benchmark times training to it.
     */
    public static final double TARGET_TEST_ACCURACY = 0.95;

    /**
     * Validates the accuracy and the epoch time.
     *
     * @param iteration    the iteration after which the model was evaluated.
     * @param testAccuracy fraction of test examples classified correctly, in {@code [0, 1]}.
     * @param epochSeconds wall time of the epoch before this evaluation, ≥ 0, or NaN when not measured.
     * @throws IllegalArgumentException if the accuracy is outside {@code [0, 1]} or the epoch time is negative or infinite.
     */
    public Evaluation
    {
        if (!(testAccuracy >= 0.0 && testAccuracy <= 1.0))
        {
            throw new IllegalArgumentException("test accuracy must be in [0, 1]: " + testAccuracy);
        }
        if (epochSeconds < 0.0 || Double.isInfinite(epochSeconds))
        {
            throw new IllegalArgumentException("epoch time must be finite and not negative, or NaN: " + epochSeconds);
        }
    }
}
