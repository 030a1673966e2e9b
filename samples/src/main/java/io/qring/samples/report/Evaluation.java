package io.qring.samples.report;

/**
 * Test accuracy measured after an iteration.
 *
 * @param iteration    the iteration after which the model was evaluated.
 * @param testAccuracy fraction of test examples classified correctly, in {@code [0, 1]}.
 */
public record Evaluation(long iteration, double testAccuracy)
{
    /**
     * Test accuracy target: the console summary names the first epoch that reached it, and the DL4J
     * benchmark times training to it.
     */
    public static final double TARGET_TEST_ACCURACY = 0.95;

    /**
     * Validates the accuracy.
     *
     * @param iteration    the iteration after which the model was evaluated.
     * @param testAccuracy fraction of test examples classified correctly, in {@code [0, 1]}.
     * @throws IllegalArgumentException if the accuracy is outside {@code [0, 1]}.
     */
    public Evaluation
    {
        if (!(testAccuracy >= 0.0 && testAccuracy <= 1.0))
        {
            throw new IllegalArgumentException("test accuracy must be in [0, 1]: " + testAccuracy);
        }
    }
}
