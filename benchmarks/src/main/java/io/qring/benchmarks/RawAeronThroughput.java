package io.qring.benchmarks;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Subscription;
import io.qring.allreduce.aeron.EmbeddedMediaDriver;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Throughput of one plain Aeron publication → subscription stream, the single-stream yardstick for a
 * ring link: the same embedded media driver ({@link EmbeddedMediaDriver}), transport, term length, MTU
 * and idle strategy as the ring's context, messages of the ring's chunk length, a receiving thread that
 * reassembles them and counts their bytes (without copying them out). Each repetition sends a fixed
 * volume and is timed from its first offer until the receiver holds its last byte. The stream has the
 * machine to itself: compare {@link RawAeronRingThroughput}, where every link of a ring is busy at once.
 */
final class RawAeronThroughput
{
    /** Stream id of the measurement (distinct from the rings' defaults). */
    static final int STREAM_ID = 9_001;

    private static final BooleanSupplier NEVER_ABANDONED = () -> false;

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
        final UnsafeBuffer message = RawAeron.noise(messageLength, 5);
        final AtomicLong received = new AtomicLong();
        final IdleStrategy idle = context.idleStrategySupplier().get();
        try (EmbeddedMediaDriver.Lease lease = EmbeddedMediaDriver.acquire(context.driverLivenessTimeoutNs());
            Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(lease.aeronDirectoryName()));
            Subscription subscription = aeron.addSubscription(RawAeron.subscriptionChannel(transport), STREAM_ID))
        {
            final String endpoint = TransportKind.UDP == transport ?
                RawAeron.await(subscription::resolvedEndpoint, idle, "the subscription's UDP endpoint") : null;
            try (ExclusivePublication publication = aeron.addExclusivePublication(
                RawAeron.publicationChannel(context, endpoint), STREAM_ID))
            {
                RawAeron.await(() -> publication.isConnected() ? "connected" : null, idle, "the publication to connect");
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
                            RawAeron.offer(publication, message, messageLength, idle, NEVER_ABANDONED);
                        }
                        RawAeron.await(() -> received.get() >= target ? "received" : null, idle,
                            "the receiver to get every message");
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
                    RawAeron.joinQuietly(thread);
                }
            }
        }
    }

    /** Polls the subscription, counting the bytes of every whole message, until told to stop. */
    private static final class Receiver implements Runnable
    {
        private final Subscription subscription;
        private final IdleStrategy idle;
        private final FragmentAssembler assembler;
        private volatile boolean running = true;

        private Receiver(final Subscription subscription, final AtomicLong received, final IdleStrategy idle)
        {
            this.subscription = subscription;
            this.idle = idle;
            this.assembler = new FragmentAssembler((buffer, offset, length, header) -> received.addAndGet(length));
        }

        @Override
        public void run()
        {
            while (running)
            {
                idle.idle(subscription.poll(assembler, RawAeron.FRAGMENT_LIMIT));
            }
        }
    }
}
