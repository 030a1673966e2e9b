/**
 * Aeron transport of the ring: the process-wide embedded media driver, and the IPC and UDP
 * {@link io.qring.allreduce.link.MessagePipe}s a rank binds and connects
 * ({@link io.qring.allreduce.aeron.AeronRingBinding}).
 */
package io.qring.allreduce.aeron;
