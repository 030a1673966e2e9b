package io.qring.benchmarks;

import io.aeron.ChannelUriStringBuilder;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Helpers shared by the raw Aeron yardsticks ({@link RawAeronThroughput}, {@link RawAeronRingThroughput}):
 * the channels the ring's context implies and bounded waits.
 */
final class RawAeron
{
    /** Longest any single wait of a measurement may take (one offer, one message, one connection). */
    static final long WAIT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);
    /** Most fragments one poll of a receiver hands over. */
    static final int FRAGMENT_LIMIT = 64;

    private RawAeron()
    {
    }

    /**
     * @param transport IPC or UDP.
     * @return the channel of a receiving subscription: IPC, or UDP bound to any free loopback port
     *         (read it back with {@code Subscription#resolvedEndpoint()}).
     */
    static String subscriptionChannel(final TransportKind transport)
    {
        return TransportKind.UDP == transport ? "aeron:udp?endpoint=localhost:0" : "aeron:ipc";
    }

    /**
     * @param context  the ring's settings: transport, term length and MTU.
     * @param endpoint the receiver's {@code host:port} for UDP, ignored for IPC.
     * @return the channel of a publication with the ring's term length and MTU.
     */
    static String publicationChannel(final RingContext context, final String endpoint)
    {
        final boolean udp = TransportKind.UDP == context.transport();
        final ChannelUriStringBuilder channel = new ChannelUriStringBuilder()
            .media(udp ? "udp" : "ipc")
            .termLength(context.termLength())
            .mtu(context.mtuLength());
        if (udp)
        {
            channel.endpoint(endpoint);
        }
        return channel.build();
    }

    /**
     * @param length bytes.
     * @param seed   of the random bytes.
     * @return a direct buffer of {@code length} reproducible random bytes, the payload of every message.
     */
    static UnsafeBuffer noise(final int length, final long seed)
    {
        final byte[] bytes = new byte[length];
        new SplittableRandom(seed).nextBytes(bytes);
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(length));
        buffer.putBytes(0, bytes);
        return buffer;
    }

    /**
     * Offers one message until the publication takes it.
     *
     * @param publication where to send.
     * @param message     the payload, from offset 0.
     * @param length      bytes.
     * @param idle        idles while back-pressured.
     * @param abandoned   checked while back-pressured; {@code true} ends the wait with an exception.
     * @throws IllegalStateException if the publication fails, stays back-pressured for {@link #WAIT_TIMEOUT_NS}
     *                               or the wait is abandoned.
     */
    static void offer(
        final ExclusivePublication publication,
        final DirectBuffer message,
        final int length,
        final IdleStrategy idle,
        final BooleanSupplier abandoned)
    {
        final long deadline = System.nanoTime() + WAIT_TIMEOUT_NS;
        idle.reset();
        while (true)
        {
            final long result = publication.offer(message, 0, length);
            if (result > 0)
            {
                return;
            }
            if (Publication.CLOSED == result || Publication.MAX_POSITION_EXCEEDED == result || Publication.NOT_CONNECTED == result)
            {
                throw new IllegalStateException("raw Aeron publication failed: " + Publication.errorString(result));
            }
            if (abandoned.getAsBoolean())
            {
                throw new IllegalStateException("raw Aeron offer abandoned");
            }
            if (System.nanoTime() - deadline >= 0)
            {
                throw new IllegalStateException("raw Aeron publication stayed back-pressured for " +
                    TimeUnit.NANOSECONDS.toSeconds(WAIT_TIMEOUT_NS) + " s");
            }
            idle.idle();
        }
    }

    /**
     * Waits until {@code condition} yields a value.
     *
     * @param condition null until the awaited state is reached, then a value.
     * @param idle      idles between checks.
     * @param what      names the awaited state in the timeout message.
     * @return the condition's value.
     * @throws IllegalStateException after {@link #WAIT_TIMEOUT_NS}.
     */
    static String await(final Supplier<String> condition, final IdleStrategy idle, final String what)
    {
        final long deadline = System.nanoTime() + WAIT_TIMEOUT_NS;
        idle.reset();
        while (true)
        {
            final String value = condition.get();
            if (null != value)
            {
                return value;
            }
            if (System.nanoTime() - deadline >= 0)
            {
                throw new IllegalStateException("timed out after " + TimeUnit.NANOSECONDS.toSeconds(WAIT_TIMEOUT_NS) +
                    " s waiting for " + what);
            }
            idle.idle();
        }
    }

    /**
     * Joins a thread for at most {@link #WAIT_TIMEOUT_NS} (its own waits are bounded, so it ends by then).
     *
     * @param thread to join.
     */
    static void joinQuietly(final Thread thread)
    {
        try
        {
            thread.join(TimeUnit.NANOSECONDS.toMillis(WAIT_TIMEOUT_NS));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
