package io.qring.allreduce.config;

/** What carries a ring's links. */
public enum TransportKind
{
    /** Bounded queues between threads of one JVM; for unit tests. */
    IN_MEMORY,
    /** Aeron IPC through a media driver shared by ranks that are threads of one process (or processes of one host). */
    IPC,
    /** Aeron UDP unicast; each rank binds its own endpoint. Ranks may be in different processes or hosts. */
    UDP
}
