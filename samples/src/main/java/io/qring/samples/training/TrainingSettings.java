package io.qring.samples.training;

import java.time.Duration;
import java.util.Objects;

/**
 * How every rank trains; equal on all ranks.
 *
 * @param model           the network.
 * @param updater         the optimiser.
 * @param learningRate    its learning rate.
 * @param mode            how ranks share what they learn.
 * @param averageEvery    iterations between parameter averagings ({@link ExchangeMode#AVERAGING}).
 * @param epochs          passes over the training shards.
 * @param batchSize       largest batch asked for per rank per iteration ({@link io.qring.samples.data.Sharding#batchesPerEpoch}).
 * @param seed            seed of the model initialisation and the data order.
 * @param exchangeTimeout longest a rank waits for one exchange of the DL4J adapters.
 */
public record TrainingSettings(ModelKind model, UpdaterKind updater, double learningRate, ExchangeMode mode, int averageEvery,
    int epochs, int batchSize, long seed, Duration exchangeTimeout)
{
    /**
     * Validates the settings.
     *
     * @param model           the network.
     * @param updater         the optimiser.
     * @param learningRate    its learning rate, &gt; 0.
     * @param mode            how ranks share what they learn.
     * @param averageEvery    iterations between parameter averagings, ≥ 1.
     * @param epochs          passes over the training shards, ≥ 1.
     * @param batchSize       largest batch asked for per rank per iteration, ≥ 1.
     * @param seed            seed of the model initialisation and the data order.
     * @param exchangeTimeout longest a rank waits for one exchange, positive.
     * @throws IllegalArgumentException naming the first invalid setting.
     */
    public TrainingSettings
    {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(updater, "updater");
        Objects.requireNonNull(mode, "mode");
        if (!(learningRate > 0) || Double.isInfinite(learningRate))
        {
            throw new IllegalArgumentException("learning rate must be positive and finite, got " + learningRate);
        }
        if (averageEvery < 1 || epochs < 1 || batchSize < 1)
        {
            throw new IllegalArgumentException("averaging interval, epochs and batch size must be at least 1, got " +
                averageEvery + ", " + epochs + ", " + batchSize);
        }
        if (exchangeTimeout.isNegative() || exchangeTimeout.isZero())
        {
            throw new IllegalArgumentException("exchange timeout must be positive, got " + exchangeTimeout);
        }
    }
}
