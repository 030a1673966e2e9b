/**
 * The ring all-reduce: the {@link io.qring.allreduce.AllReduce} collective, its ring engine
 * ({@link io.qring.allreduce.RingAllReduce}), the entry point {@link io.qring.allreduce.Ring#connect}
 * and an in-process ring of threads ({@link io.qring.allreduce.LocalRing}).
 */
package io.qring.allreduce;
