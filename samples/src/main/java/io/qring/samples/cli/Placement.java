package io.qring.samples.cli;

import io.qring.allreduce.config.TransportKind;

import java.util.List;

/**
 * Where the ranks of a launch run, as resolved from the options and the {@code QRING_*} environment.
 *
 * @param kind      how the ranks are placed.
 * @param worldSize number of ranks.
 * @param rank      this process's rank ({@link Kind#MULTI_HOST}, {@link Kind#CHILD}); −1 otherwise.
 * @param peers     every rank's endpoint ({@link Kind#MULTI_HOST}); empty otherwise.
 * @param secret    the ring's shared secret ({@link Kind#MULTI_HOST}, {@link Kind#CHILD}); {@code null} otherwise.
 * @param transport what carries the links.
 */
public record Placement(Kind kind, int worldSize, int rank, List<String> peers, byte[] secret, TransportKind transport)
{
    /**
     * Copies the peers.
     *
     * @param kind      how the ranks are placed.
     * @param worldSize number of ranks.
     * @param rank      this process's rank, or −1.
     * @param peers     every rank's endpoint, or empty.
     * @param secret    the shared secret, or {@code null}.
     * @param transport what carries the links.
     */
    public Placement
    {
        peers = List.copyOf(peers);
    }

    /** @return whether this process prints the summary and writes the report. */
    public boolean reports()
    {
        return Kind.THREADS == kind || Kind.PROCESSES == kind || (Kind.MULTI_HOST == kind && 0 == rank);
    }

    /** @return a short description, e.g. {@code "4 ranks as threads of this JVM, Aeron IPC"}. */
    public String describe()
    {
        return switch (kind)
        {
            case THREADS -> worldSize + " ranks as threads of this JVM, " + transportName();
            case PROCESSES -> worldSize + " ranks as child JVMs of this host, " + transportName() + " over loopback";
            case MULTI_HOST -> "rank " + rank + " of a " + worldSize + "-rank ring across hosts " + peers + ", " + transportName();
            case CHILD -> "rank " + rank + " of " + worldSize + " (child JVM)";
        };
    }

    private String transportName()
    {
        return switch (transport)
        {
            case IPC -> "Aeron IPC";
            case UDP -> "Aeron UDP";
            case IN_MEMORY -> "in-memory queues";
        };
    }

    /** How the ranks of a launch are placed. */
    public enum Kind
    {
        /** Every rank is a thread of this JVM. */
        THREADS,
        /** Every rank is a child JVM of this process, on this host. */
        PROCESSES,
        /** This process is one rank of a ring whose other ranks run elsewhere. */
        MULTI_HOST,
        /** This process is a child JVM started by a launcher in {@link #PROCESSES} mode. */
        CHILD
    }
}
