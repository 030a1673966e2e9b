/**
 * What each rank runs: {@link io.qring.samples.training.TrainingJob} trains a DL4J model on the rank's
 * shard with the gradient exchange of the chosen {@link io.qring.samples.training.ExchangeMode}, and
 * {@link io.qring.samples.training.AllReduceJob} is the bare exchange (seeded arrays averaged around the ring).
 */
package io.qring.samples.training;
