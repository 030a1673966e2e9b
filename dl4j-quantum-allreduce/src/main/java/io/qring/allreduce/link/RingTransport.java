package io.qring.allreduce.link;

/**
 * A rank's two connected links around the ring, plus whatever transport resources they share
 * (an Aeron client, a media driver lease).
 */
public interface RingTransport extends AutoCloseable
{
    /** @return this rank. */
    int rank();

    /** @return the number of ranks. */
    int worldSize();

    /** @return the link to rank {@code (rank + 1) mod worldSize}: data goes out here. */
    Link next();

    /** @return the link to rank {@code (rank - 1) mod worldSize}: data comes in here. */
    Link previous();

    /** Closes both links and the shared resources. Idempotent; never throws. */
    @Override
    void close();
}
