package io.qring.benchmarks;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qring.samples.launcher.RankResult;
import io.qring.samples.report.Evaluation;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * One training run seen epoch by epoch: the training wall time of each epoch (evaluation excluded) and
 * the test accuracy measured after it.
 *
 * @param epochSeconds training wall time of each epoch.
 * @param accuracies   test accuracy after each epoch.
 */
public record TrainingCurve(List<Double> epochSeconds, List<Double> accuracies)
{
    /**
     * Copies the lists and checks they pair up.
     *
     * @param epochSeconds training wall time of each epoch.
     * @param accuracies   test accuracy after each epoch.
     * @throws IllegalArgumentException if the lists are empty or differ in length.
     */
    public TrainingCurve
    {
        epochSeconds = List.copyOf(epochSeconds);
        accuracies = List.copyOf(accuracies);
        if (epochSeconds.isEmpty() || epochSeconds.size() != accuracies.size())
        {
            throw new IllegalArgumentException("need one time and one accuracy per epoch, got " + epochSeconds.size() +
                " times and " + accuracies.size() + " accuracies");
        }
    }

    /**
     * The curve of a ring run from the rank that evaluated (rank 0): an epoch's time is that rank's wall
     * time of the epoch ({@link Evaluation#epochSeconds()}: drawing its batches, fitting, exchanging with
     * the ring, recording), not the sum of its {@code fit} calls; the evaluation itself is not counted.
     *
     * @param evaluator the result of the rank that evaluated after every epoch.
     * @return the curve.
     * @throws IllegalArgumentException if the rank made no evaluation or one without an epoch time.
     */
    public static TrainingCurve ofRank(final RankResult evaluator)
    {
        final List<Double> seconds = new ArrayList<>();
        final List<Double> accuracies = new ArrayList<>();
        for (final Evaluation evaluation : evaluator.evaluations())
        {
            if (Double.isNaN(evaluation.epochSeconds()))
            {
                throw new IllegalArgumentException("rank " + evaluator.rank() + " evaluated after iteration " +
                    evaluation.iteration() + " without timing the epoch");
            }
            seconds.add(evaluation.epochSeconds());
            accuracies.add(evaluation.testAccuracy());
        }
        return new TrainingCurve(seconds, accuracies);
    }

    /** @return the median epoch time, seconds (robust to the JIT warm-up of the first epoch). */
    public double medianEpochSeconds()
    {
        return Figures.median(epochSeconds.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /**
     * @param target test accuracy to reach.
     * @return 1-based index of the first epoch after which the accuracy reached {@code target}, or 0 if none.
     */
    public int epochsTo(final double target)
    {
        for (int epoch = 0; epoch < accuracies.size(); epoch++)
        {
            if (accuracies.get(epoch) >= target)
            {
                return epoch + 1;
            }
        }
        return 0;
    }

    /**
     * @param target test accuracy to reach.
     * @return the training time up to and including the first epoch that reached {@code target}, or empty if none did.
     */
    public OptionalDouble secondsTo(final double target)
    {
        final int epochs = epochsTo(target);
        return 0 == epochs ? OptionalDouble.empty() :
            OptionalDouble.of(epochSeconds.subList(0, epochs).stream().mapToDouble(Double::doubleValue).sum());
    }

    /**
     * Writes the curve's figures into {@code node}; time to the target and its epoch are JSON null when never reached.
     *
     * @param node   where to write.
     * @param target test accuracy to reach.
     * @return {@code node}.
     */
    public ObjectNode writeTo(final ObjectNode node, final double target)
    {
        node.put("epochSecondsMedian", Figures.round(medianEpochSeconds()));
        final ArrayNode times = node.putArray("epochSeconds");
        epochSeconds.forEach(time -> times.add(Figures.round(time)));
        final ArrayNode accuracy = node.putArray("testAccuracy");
        accuracies.forEach(value -> accuracy.add(Figures.round(value)));
        final OptionalDouble seconds = secondsTo(target);
        if (seconds.isPresent())
        {
            node.put("secondsToTarget", Figures.round(seconds.getAsDouble())).put("epochsToTarget", epochsTo(target));
        }
        else
        {
            node.putNull("secondsToTarget").putNull("epochsToTarget");
        }
        return node.put("finalTestAccuracy", Figures.round(accuracies.get(accuracies.size() - 1)));
    }
}
