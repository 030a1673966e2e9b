package io.qring.allreduce;

import io.qring.allreduce.aeron.AeronRingBinding;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import io.qring.allreduce.link.AuthenticatedRingTransport;
import io.qring.allreduce.link.InMemoryNetwork;
import io.qring.allreduce.link.Link;
import io.qring.allreduce.link.LinkException;
import io.qring.allreduce.link.MembershipSecret;
import org.agrona.CloseHelper;

import java.util.List;

/**
 * Entry point: joins a ring and returns this rank's {@link RingAllReduce}.
 * <pre>{@code
 * try (RingAllReduce ring = Ring.connect(RingContext.fromEnvironment().conclude()))
 * {
 *     ring.allReduce(gradients, ReduceOp.AVERAGE);
 * }
 * }</pre>
 */
public final class Ring
{
    private Ring()
    {
    }

    /**
     * Binds, connects and authenticates this rank's links, checks that both neighbours share this rank's
     * {@link RingContext#ringSettings() ring settings}, applies the context's link wrapper and returns
     * the engine. Blocks until both neighbours have authenticated and sent their settings, or the connect
     * timeout passes.
     *
     * @param context the rank's settings as they are at this call (see {@link #bind}).
     * @return the connected all-reduce.
     * @throws io.qring.allreduce.link.LinkTimeoutException       if the neighbours do not appear and authenticate in time.
     * @throws RingSettingsMismatchException                      if a neighbour's ring settings differ from this rank's.
     * @throws io.qring.allreduce.aeron.EndpointBindException     if the UDP endpoint cannot be bound.
     * @throws IllegalArgumentException                           if a setting is invalid.
     */
    public static RingAllReduce connect(final RingContext context)
    {
        final BoundRank bound = bind(context);
        try
        {
            return bound.connect(context.peers());
        }
        catch (final RuntimeException ex)
        {
            bound.close();
            throw ex;
        }
    }

    /**
     * First half of {@link #connect}: binds this rank's endpoint, so a launcher can learn the port a
     * {@code host:0} endpoint got ({@link BoundRank#localEndpoint()}) and tell the other ranks.
     *
     * @param context the rank's settings as they are at this call: a {@link RingContext#copy() copy} is
     *                concluded and used, so a setting changed afterwards (even on a concluded context) neither
     *                reaches the rank nor skips validation.
     * @return the bound rank; connect or close it.
     * @throws IllegalArgumentException if a setting is invalid; nothing is bound then.
     */
    public static BoundRank bind(final RingContext context)
    {
        final RingContext settings = context.copy().conclude();
        if (TransportKind.IN_MEMORY == settings.transport())
        {
            return new BoundRank(settings, null);
        }
        return new BoundRank(settings, AeronRingBinding.bind(settings));
    }

    /** A rank whose endpoint is bound and which is ready to connect to its neighbours. */
    public static final class BoundRank implements AutoCloseable
    {
        private final RingContext context;
        private final AeronRingBinding binding;

        private BoundRank(final RingContext context, final AeronRingBinding binding)
        {
            this.context = context;
            this.binding = binding;
        }

        /** @return the bound UDP endpoint {@code host:port}, {@code "ipc"} or {@code "in-memory"}. */
        public String localEndpoint()
        {
            return null == binding ? "in-memory" : binding.localEndpoint();
        }

        /**
         * Connects and authenticates both links, checks that both neighbours share this rank's
         * {@link RingContext#ringSettings() ring settings}, wraps the links and returns the engine, all within
         * one connect timeout. If anything fails after the links are authenticated, both neighbours are told
         * why (their first collective fails naming it) before the links close.
         *
         * @param peerEndpoints every rank's endpoint in rank order (UDP only; ignored otherwise).
         * @return the connected all-reduce.
         */
        public RingAllReduce connect(final List<String> peerEndpoints)
        {
            final long deadlineNanos = System.nanoTime() + context.connectTimeoutNs();
            final long timeoutNs = Math.max(0, deadlineNanos - System.nanoTime());
            final AuthenticatedRingTransport transport = null == binding ? connectInMemory(context, timeoutNs) :
                binding.connect(peerEndpoints, timeoutNs);
            Link next = null;
            Link previous = null;
            try
            {
                final int rank = transport.rank();
                final int worldSize = transport.worldSize();
                agreeSettings(transport, deadlineNanos);
                next = context.linkWrapper().wrapNext(transport.next(), rank, (rank + 1) % worldSize);
                previous = context.linkWrapper().wrapPrevious(transport.previous(), rank, (rank - 1 + worldSize) % worldSize);
                return new RingAllReduce(transport, next, previous, context);
            }
            catch (final RuntimeException ex)
            {
                final String reason = "rank " + transport.rank() + " failed to connect: " + ex.getMessage();
                transport.next().abort(reason);
                transport.previous().abort(reason);
                CloseHelper.quietCloseAll(next, previous, transport);
                throw ex;
            }
        }

        private void agreeSettings(final AuthenticatedRingTransport transport, final long deadlineNanos)
        {
            try
            {
                RingSettingsExchange.agree(transport, context.ringSettings(), deadlineNanos);
            }
            catch (final LinkException ex)
            {
                throw ex.withContext("rank " + transport.rank() + ", exchanging ring settings with its neighbours");
            }
        }

        /** Releases the binding if {@link #connect} was not called. */
        @Override
        public void close()
        {
            CloseHelper.quietClose(binding);
        }
    }

    private static AuthenticatedRingTransport connectInMemory(final RingContext context, final long timeoutNs)
    {
        final InMemoryNetwork network = context.inMemoryNetwork();
        final int rank = context.rank();
        final int worldSize = context.worldSize();
        return AuthenticatedRingTransport.authenticate(rank, worldSize, context.ringId(),
            new MembershipSecret(context.sharedSecret()),
            network.nextPipe(rank), "rank " + (rank + 1) % worldSize + " (in-memory)",
            network.previousPipe(rank), "rank " + (rank - 1 + worldSize) % worldSize + " (in-memory)",
            context.idleStrategySupplier(), timeoutNs, List.of());
    }
}
