package io.qring.allreduce.link;

import io.qring.channel.ledger.LinkLedger;
import org.agrona.CloseHelper;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A {@link RingTransport} made of two {@link AuthenticatedLink}s, plus the resources they share.
 * {@link #connect} runs both handshakes at once (sequentially they would deadlock around the ring).
 */
public final class AuthenticatedRingTransport implements RingTransport
{
    /** Yields of a control thread waiting on the next link before it parks. */
    public static final int CONTROL_YIELDS = 20;
    /** Shortest park of a control thread waiting on the next link: 50 µs. */
    public static final long CONTROL_MIN_PARK_NS = TimeUnit.MICROSECONDS.toNanos(50);
    /** Longest park of a control thread waiting on the next link: 1 ms. */
    public static final long CONTROL_MAX_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private final int rank;
    private final int worldSize;
    private final AuthenticatedLink next;
    private final AuthenticatedLink previous;
    private final List<AutoCloseable> resources;
    private boolean closed;

    private AuthenticatedRingTransport(
        final int rank,
        final int worldSize,
        final AuthenticatedLink next,
        final AuthenticatedLink previous,
        final List<AutoCloseable> resources)
    {
        this.rank = rank;
        this.worldSize = worldSize;
        this.next = next;
        this.previous = previous;
        this.resources = resources;
    }

    /**
     * Builds a rank's two {@link AuthenticatedLink}s over raw pipes, with ledgers named
     * {@code "r->next"} and {@code "r->previous (return)"}, and authenticates both with their peers.
     *
     * @param rank                 this rank.
     * @param worldSize            number of ranks.
     * @param ringId               ring id stamped on every frame.
     * @param secret               the ring's shared secret.
     * @param nextPipe             raw pipe to the next rank; owned by the transport.
     * @param nextName             name of the next rank for messages, e.g. {@code "rank 2 (ipc)"}.
     * @param previousPipe         raw pipe to the previous rank; owned by the transport.
     * @param previousName         name of the previous rank for messages.
     * @param idleStrategySupplier makes the handshake's idle strategy and each link's, but for the next link's
     *                             receives, which its control thread makes ({@link #controlIdleStrategy()}).
     * @param timeoutNs            how long the peers may take to appear and authenticate.
     * @param resources            closed after the links when the transport closes (or if connecting fails).
     * @return the connected transport.
     */
    public static AuthenticatedRingTransport authenticate(
        final int rank,
        final int worldSize,
        final long ringId,
        final MembershipSecret secret,
        final MessagePipe nextPipe,
        final String nextName,
        final MessagePipe previousPipe,
        final String previousName,
        final Supplier<IdleStrategy> idleStrategySupplier,
        final long timeoutNs,
        final List<AutoCloseable> resources)
    {
        final int nextRank = (rank + 1) % worldSize;
        final int previousRank = (rank - 1 + worldSize) % worldSize;
        final AuthenticatedLink next;
        final AuthenticatedLink previous;
        final IdleStrategy connectIdleStrategy;
        try
        {
            final SecureRandom random = new SecureRandom();
            next = new AuthenticatedLink(nextPipe, secret, ringId, rank, nextRank, worldSize, true, nextName,
                new LinkLedger(LinkLedger.linkName(rank, nextRank)), idleStrategySupplier.get(), controlIdleStrategy(), random);
            previous = new AuthenticatedLink(previousPipe, secret, ringId, rank, previousRank, worldSize, false, previousName,
                new LinkLedger(LinkLedger.linkName(rank, previousRank) + " (return)"), idleStrategySupplier.get(),
                idleStrategySupplier.get(), random);
            connectIdleStrategy = idleStrategySupplier.get();
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(nextPipe, previousPipe);
            CloseHelper.quietCloseAll(resources);
            throw ex;
        }
        return connect(rank, worldSize, next, previous, timeoutNs, connectIdleStrategy, resources);
    }

    /**
     * How the next link's receives wait. Data flows forward only, so what arrives on a rank's next link
     * are a link wrapper's control messages (acknowledgements, repair requests), read by its control
     * thread: a few every collective, since receivers acknowledge in batches. Between them the thread
     * yields up to {@link #CONTROL_YIELDS} times, then parks from {@link #CONTROL_MIN_PARK_NS} up to
     * {@link #CONTROL_MAX_PARK_NS}. Yielding for long after every message kept the thread runnable, so
     * on a machine with fewer cores than ranks it took a share of the CPU from the ranks (16M-float
     * quantum ring, 4 ranks on 2 cores: 75-140 ms of control-thread CPU per all-reduce, 25-35 ms now).
     *
     * @return a new idle strategy for one control thread.
     */
    static IdleStrategy controlIdleStrategy()
    {
        return new BackoffIdleStrategy(0, CONTROL_YIELDS, CONTROL_MIN_PARK_NS, CONTROL_MAX_PARK_NS);
    }

    /**
     * Authenticates both links with their peers.
     *
     * @param rank          this rank.
     * @param worldSize     number of ranks.
     * @param next          link to the next rank, not yet authenticated.
     * @param previous      link to the previous rank, not yet authenticated.
     * @param timeoutNs     how long the peers may take to appear and authenticate.
     * @param idleStrategy  how to wait between attempts.
     * @param resources     closed after the links when the transport closes (or if connecting fails).
     * @return the connected transport.
     * @throws LinkTimeoutException if a peer did not authenticate in time; the message says how far each link got.
     */
    public static AuthenticatedRingTransport connect(
        final int rank,
        final int worldSize,
        final AuthenticatedLink next,
        final AuthenticatedLink previous,
        final long timeoutNs,
        final IdleStrategy idleStrategy,
        final List<AutoCloseable> resources)
    {
        final AuthenticatedRingTransport transport = new AuthenticatedRingTransport(rank, worldSize, next, previous, resources);
        try
        {
            final long start = System.nanoTime();
            final long deadline = start + timeoutNs;
            idleStrategy.reset();
            while (true)
            {
                final int work = next.doHandshakeWork() + previous.doHandshakeWork();
                if (next.isEstablished() && previous.isEstablished())
                {
                    return transport;
                }
                final long now = System.nanoTime();
                if (now - deadline >= 0)
                {
                    final AuthenticatedLink late = next.isEstablished() ? previous : next;
                    throw new LinkTimeoutException(late.peerName(), "rank " + rank + " could not authenticate with its " +
                        "neighbours within " + TimeUnit.NANOSECONDS.toMillis(now - start) + " ms: next link " +
                        next.handshakeProgress() + "; previous link " + previous.handshakeProgress() +
                        " (do all ranks run and hold the same shared secret?)");
                }
                if (0 == work)
                {
                    idleStrategy.idle();
                }
                else
                {
                    idleStrategy.reset();
                }
            }
        }
        catch (final RuntimeException ex)
        {
            transport.close();
            throw ex;
        }
    }

    /** {@inheritDoc} */
    @Override
    public int rank()
    {
        return rank;
    }

    /** {@inheritDoc} */
    @Override
    public int worldSize()
    {
        return worldSize;
    }

    /** {@inheritDoc} */
    @Override
    public AuthenticatedLink next()
    {
        return next;
    }

    /** {@inheritDoc} */
    @Override
    public AuthenticatedLink previous()
    {
        return previous;
    }

    /** {@inheritDoc} */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        CloseHelper.quietCloseAll(next, previous);
        for (final AutoCloseable resource : resources)
        {
            CloseHelper.quietClose(resource);
        }
    }
}
