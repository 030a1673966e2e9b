package io.qring.benchmarks;

import io.aeron.Aeron;
import io.aeron.ChannelUriStringBuilder;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.qring.allreduce.aeron.EmbeddedMediaDriver;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Throughput of one plain Aeron publication → subscription stream, the yardstick for a ring link: the
 * same embedded media driver ({@link EmbeddedMediaDriver}), transport, term length, MTU and idle
 * strategy as the ring's context, messages of the ring's chunk length, a receiving thread that
 * reassembles them. Each repetition sends a fixed volume and is timed from its first offer until the
 * receiver holds its last byte.
 */
final class RawAeronThroughput
{
    /** Stream id of the measurement (distinct from the rings' defaults). */
    static final int STREAM_ID = 9_001;
    /** Longest any single wait of the measurement may take. */
    static final long WAIT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);

    private RawAeronThroughput()
    {
    }

    /**
     * @param context       the ring's settings (transport, term length, MTU, liveness timeout, idle strategy).
     * @param messageLength bytes per message.
     * @param bytesPerRep   volume of one repetition, rounded down to whole messages (at least one).
     * @param warmUp        untimed repetitions first.
     * @param repetitions   timed repetitions.
     * @return throughput of each timed repetition, bytes per second.
     */
    static double[] measure(
        final RingContext context,
        final int messageLength,
        final long bytesPerRep,
        final int warmUp,
        final int repetitions)
    {
        final TransportKind transport = context.transport();
        final long messages = Math.max(1, bytesPerRep / messageLength);
        final UnsafeBuffer message = new UnsafeBuffer(ByteBuffer.allocateDirect(messageLength));
        final byte[] noise = new byte[messageLength];
        new SplittableRandom(5).nextBytes(noise);
        message.putBytes(0, noise);
        final AtomicLong received = new AtomicLong();
        final IdleStrategy idle = context.idleStrategySupplier().get();
        try (EmbeddedMediaDriver.Lease lease = EmbeddedMediaDriver.acquire(context.driverLivenessTimeoutNs());
            Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(lease.aeronDirectoryName()));
            Subscription subscription = aeron.addSubscription(TransportKind.UDP == transport ?
                "aeron:udp?endpoint=localhost:0" : "aeron:ipc", STREAM_ID))
        {
            final ChannelUriStringBuilder channel = new ChannelUriStringBuilder()
                .media(TransportKind.UDP == transport ? "udp" : "ipc")
                .termLength(context.termLength())
                .mtu(context.mtuLength());
            if (TransportKind.UDP == transport)
            {
                channel.endpoint(await(subscription::resolvedEndpoint, idle, "the subscription's UDP endpoint"));
            }
            try (ExclusivePublication publication = aeron.addExclusivePublication(channel.build(), STREAM_ID))
            {
                await(() -> publication.isConnected() ? "connected" : null, idle, "the publication to connect");
                final Receiver receiver = new Receiver(subscription, received, context.idleStrategySupplier().get());
                final Thread thread = new Thread(receiver, "raw-aeron-receiver");
                thread.start();
                try
                {
                    final double[] throughput = new double[repetitions];
                    for (int rep = -warmUp; rep < repetitions; rep++)
                    {
                        final long target = received.get() + messages * messageLength;
                        final long start = System.nanoTime();
                        for (long m = 0; m < messages; m++)
                        {
                            offer(publication, message, messageLength, idle);
                        }
                        await(() -> received.get() >= target ? "received" : null, idle, "the receiver to get every message");
                        final long elapsed = System.nanoTime() - start;
                        if (rep >= 0)
                        {
                            throughput[rep] = messages * (double)messageLength * 1e9 / elapsed;
                        }
                    }
                    return throughput;
                }
                finally
                {
                    receiver.running = false;
                    joinQuietly(thread);
                }
            }
        }
    }

    /**
     * @param values measurements.
     * @return their median (mean of the middle two for an even count).
     */
    static double median(final double[] values)
    {
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        final int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static void offer(final ExclusivePublication publication, final UnsafeBuffer message, final int length,
        final IdleStrategy idle)
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
            if (System.nanoTime() - deadline >= 0)
            {
                throw new IllegalStateException("raw Aeron publication stayed back-pressured for " +
                    TimeUnit.NANOSECONDS.toSeconds(WAIT_TIMEOUT_NS) + " s");
            }
            idle.idle();
        }
    }

    private static String await(final Supplier<String> condition, final IdleStrategy idle, final String what)
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

    private static void joinQuietly(final Thread thread)
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

    /** Polls the subscription, counting the bytes of every whole message, until told to stop. */
    private static final class Receiver implements Runnable
    {
        private final Subscription subscription;
        private final AtomicLong received;
        private final IdleStrategy idle;
        private final FragmentAssembler assembler;
        private volatile boolean running = true;

        private Receiver(final Subscription subscription, final AtomicLong received, final IdleStrategy idle)
        {
            this.subscription = subscription;
            this.received = received;
            this.idle = idle;
            this.assembler = new FragmentAssembler((buffer, offset, length, header) -> received.addAndGet(length));
        }

        @Override
        public void run()
        {
            while (running)
            {
                idle.idle(subscription.poll(assembler, 64));
            }
        }
    }
}
