/**
 * Deeplearning4j (1.0.0-M2.1) adapters of the quantum ring: users keep their model, data pipeline,
 * updater and loss; only the gradient exchange changes. Everything is obtained from a
 * {@link io.qring.dl4j.QuantumRing} built around this rank's {@link io.qring.allreduce.AllReduce}.
 *
 * <p><b>CPU backend only.</b> The adapters copy parameters and updates between ND4J buffers and the ring
 * through host memory, without the host/device synchronisation of ND4J's GPU backends, which would hand
 * the ring stale values without any error; so the accumulators and the parameter averaging listener
 * refuse, when built, an ND4J backend other than the CPU one (nd4j-native), naming it. The synchronous
 * accumulator and parameter averaging exchange FLOAT or DOUBLE parameters: {@code ring.accumulator(model)}
 * rejects other dtypes (e.g. HALF) up front, parameter averaging at the model's first iteration, and
 * {@code ring.accumulator()}, built without the model, at the first exchange.
 *
 * <h2>Synchronous ring, one rank per JVM</h2>
 * <pre>{@code
 * // before: MultiLayerNetwork model = ...; model.fit(iterator);
 * QuantumRing ring = QuantumRing.builder().allReduce(allReduce).build();
 * model.setGradientsAccumulator(ring.accumulator(model));
 * model.fit(iteratorOverThisRanksShard);
 * }</pre>
 *
 * <h2>Synchronous ring inside ParallelWrapper (several workers per JVM, one or more JVMs)</h2>
 * <pre>{@code
 * // before: new ParallelWrapper.Builder<>(model).workers(2).build().fit(iterator);
 * QuantumRing ring = QuantumRing.builder().allReduce(allReduce).build();
 * new ParallelWrapper.Builder<>(model).workers(2)
 *     .trainingMode(ParallelWrapper.TrainingMode.CUSTOM)
 *     .gradientsAccumulator(ring.accumulator(model))
 *     .build().fit(iterator);
 * }</pre>
 *
 * <h2>DL4J-native sparse sharing (SHARED_GRADIENTS semantics) over the ring</h2>
 * <pre>{@code
 * QuantumRing ring = QuantumRing.builder().allReduce(allReduce).build();
 * model.setGradientsAccumulator(ring.sparseAccumulator(model, 1));   // or, in ParallelWrapper CUSTOM mode,
 *                                                                    // ring.sparseAccumulator(model, workers)
 * }</pre>
 *
 * <h2>Parameter averaging every k iterations, and the ledger</h2>
 * <pre>{@code
 * QuantumRing ring = QuantumRing.builder().allReduce(allReduce).build();
 * ParameterAveragingListener averaging = ring.parameterAveraging(10);
 * model.addListeners(averaging);
 * model.addListeners(ring.ledgerListener(ledgerSource));   // per-iteration link counts via SLF4J
 * model.fit(iterator);            // also averages at the end of every epoch, so the replicas end equal
 * // a loop of model.fit(dataSet) reports no epoch ends: on every rank, before evaluating or saving,
 * averaging.averageNow(model);    // collective: every rank calls it at the same point
 * }</pre>
 *
 * <p>What DL4J hands over (verified in the M2.1 sources, {@code StochasticGradientDescent.optimize}):
 * {@code hasAnything()} before the forward pass; then the gradient, already passed through the updater, to
 * {@code storeUpdate(update, iteration, epoch)}; then {@code applyUpdate(stepFunction, params, update, true)},
 * whose step function subtracts ({@code params -= update}). So the ring averages <em>updates</em>: with
 * plain SGD, N ranks on equal shards match one process on the concatenated minibatch; with Adam each rank
 * takes its own Adam step and the ring averages the steps.
 *
 * <p>Only {@code OptimizationAlgorithm.STOCHASTIC_GRADIENT_DESCENT} (DL4J's default) calls a gradients
 * accumulator in M2.1; with LBFGS, conjugate gradient or line gradient descent every rank would train alone,
 * so {@code ring.accumulator(model)} and {@code ring.sparseAccumulator(model, n)} reject such models.
 *
 * <p>ParallelWrapper notes (M2.1): its listener support loads deeplearning4j-core classes (kept off this
 * project's classpath), so inside ParallelWrapper attach a {@link io.qring.dl4j.LedgerTrainingListener} to
 * the accumulator ({@code addExchangeListener}) rather than to the wrapper; and call {@code fit} once per
 * wrapper (a later fit on the same wrapper can deadlock in DL4J; the ring's exchange timeout turns that into
 * an error).
 */
package io.qring.dl4j;
