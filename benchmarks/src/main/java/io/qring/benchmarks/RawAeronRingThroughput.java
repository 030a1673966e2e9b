package io.qring.benchmarks;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Subscription;
import io.qring.allreduce.aeron.EmbeddedMediaDriver;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * Throughput of one link of a plain Aeron ring with every link busy at once, the ring yardstick for a
 * ring link: N threads (one per rank, N the context's world size), rank r with an exclusive publication
 * to rank (r + 1) mod N and a subscription from rank (r − 1) mod N, over the same embedded media driver
 * ({@link EmbeddedMediaDriver}), transport, term length, MTU and idle strategy as the ring's context.
 * In each repetition every rank sends the same volume in messages of the ring's chunk length, offering
 * message k + a to its next rank and then waiting for message k from its previous rank, a the context's
 * {@link RingContext#sendAhead()} (as the ring's engine sends chunk k + a, then receives chunk k; pass
 * the ring's own {@code RingAllReduce.sendAhead()}), and copies every reassembled message out into a heap
 * array of the message length. The volume runs as one pipeline, while the engine lets its receives catch
 * up with its sends at each of its 2(N − 1) steps, so the yardstick's pipeline is, if anything, the fuller. No framing, authentication or reduction. A repetition is timed from the moment all
 * rank threads are released together until the last of them holds its last message; the throughput of a
 * link is the volume per rank divided by that time.
 */
final class RawAeronRingThroughput
{
    /** Stream id of link (N − 1) → 0; link (r − 1) → r uses this plus r (distinct from the rings' defaults). */
    static final int STREAM_ID_BASE = 9_101;
    /** Longest a whole repetition may take (its single waits are bounded by {@link RawAeron#WAIT_TIMEOUT_NS}). */
    static final long REPETITION_TIMEOUT_NS = TimeUnit.MINUTES.toNanos(10);

    private RawAeronRingThroughput()
    {
    }

    /**
     * @param context       the ring's settings (world size, transport, term length, MTU, liveness timeout,
     *                      idle strategy, send-ahead).
     * @param messageLength bytes per message.
     * @param bytesPerRep   volume each rank sends in one repetition, rounded down to whole messages (at least one).
     * @param warmUp        untimed repetitions first.
     * @param repetitions   timed repetitions.
     * @return throughput of one link in each timed repetition, bytes per second.
     */
    static double[] measure(
        final RingContext context,
        final int messageLength,
        final long bytesPerRep,
        final int warmUp,
        final int repetitions)
    {
        final int ranks = context.worldSize();
        final TransportKind transport = context.transport();
        final long messages = Math.max(1, bytesPerRep / messageLength);
        final IdleStrategy setupIdle = context.idleStrategySupplier().get();
        final Subscription[] fromPrevious = new Subscription[ranks];
        final ExclusivePublication[] toNext = new ExclusivePublication[ranks];
        try (EmbeddedMediaDriver.Lease lease = EmbeddedMediaDriver.acquire(context.driverLivenessTimeoutNs());
            Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(lease.aeronDirectoryName())))
        {
            try
            {
                for (int r = 0; r < ranks; r++)
                {
                    fromPrevious[r] = aeron.addSubscription(RawAeron.subscriptionChannel(transport), STREAM_ID_BASE + r);
                }
                for (int r = 0; r < ranks; r++)
                {
                    final int next = (r + 1) % ranks;
                    final Subscription receiver = fromPrevious[next];
                    final String endpoint = TransportKind.UDP == transport ?
                        RawAeron.await(receiver::resolvedEndpoint, setupIdle, "rank " + next + "'s UDP endpoint") : null;
                    toNext[r] = aeron.addExclusivePublication(RawAeron.publicationChannel(context, endpoint), STREAM_ID_BASE + next);
                }
                for (int r = 0; r < ranks; r++)
                {
                    final ExclusivePublication publication = toNext[r];
                    RawAeron.await(() -> publication.isConnected() ? "connected" : null, setupIdle,
                        "the publication of rank " + r + " to connect");
                }
                return new Run(context, toNext, fromPrevious, messageLength, messages, warmUp + repetitions).times(warmUp);
            }
            finally
            {
                CloseHelper.quietCloseAll(toNext);
                CloseHelper.quietCloseAll(fromPrevious);
            }
        }
    }

    /**
     * The rank threads of one measurement and the phaser that starts and ends each repetition: every
     * repetition is two phases, a start gate (its advance records the start time) and an end gate, passed by
     * the N rank threads and the timing thread; a failure terminates the phaser, which releases every gate.
     */
    private static final class Run
    {
        private final Thread[] threads;
        private final long[] finishNs;
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Phaser phaser;
        private final BooleanSupplier abandoned;
        private final long messages;
        private final int messageLength;
        private final int sendAhead;
        private final int rounds;
        private long startNs;

        private Run(
            final RingContext context,
            final ExclusivePublication[] toNext,
            final Subscription[] fromPrevious,
            final int messageLength,
            final long messages,
            final int rounds)
        {
            final int ranks = toNext.length;
            this.messages = messages;
            this.messageLength = messageLength;
            this.sendAhead = context.sendAhead();
            this.rounds = rounds;
            this.finishNs = new long[ranks];
            this.phaser = new Phaser(ranks + 1)
            {
                @Override
                protected boolean onAdvance(final int phase, final int registeredParties)
                {
                    if (phase % 2 == 0)
                    {
                        startNs = System.nanoTime();
                    }
                    return false;
                }
            };
            this.abandoned = phaser::isTerminated;
            this.threads = new Thread[ranks];
            for (int r = 0; r < ranks; r++)
            {
                final Rank rank = new Rank(r, toNext[r], fromPrevious[r], context.idleStrategySupplier().get());
                threads[r] = new Thread(rank, "raw-aeron-ring-rank-" + r);
            }
        }

        /** Starts the rank threads, times every round after the warm-up ones and stops the threads. */
        private double[] times(final int warmUp)
        {
            for (final Thread thread : threads)
            {
                thread.start();
            }
            try
            {
                final double[] throughput = new double[rounds - warmUp];
                for (int round = 0; round < rounds; round++)
                {
                    if (!pass(RawAeron.WAIT_TIMEOUT_NS) || !pass(REPETITION_TIMEOUT_NS))
                    {
                        throw new IllegalStateException("raw Aeron ring failed", failure.get());
                    }
                    long lastNs = startNs;
                    for (final long finish : finishNs)
                    {
                        lastNs = Math.max(lastNs, finish);
                    }
                    if (round >= warmUp)
                    {
                        throughput[round - warmUp] = messages * (double)messageLength * 1e9 / Math.max(1, lastNs - startNs);
                    }
                }
                return throughput;
            }
            catch (final TimeoutException ex)
            {
                throw new IllegalStateException("raw Aeron ring timed out", ex);
            }
            finally
            {
                phaser.forceTermination();
                for (final Thread thread : threads)
                {
                    RawAeron.joinQuietly(thread);
                }
            }
        }

        /**
         * Arrives at the current gate and waits for every other party.
         *
         * @param timeoutNs longest wait.
         * @return whether the gate opened; false if the run was stopped.
         */
        private boolean pass(final long timeoutNs) throws TimeoutException
        {
            try
            {
                return phaser.awaitAdvanceInterruptibly(phaser.arrive(), timeoutNs, TimeUnit.NANOSECONDS) >= 0;
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted at a gate of the raw Aeron ring", ex);
            }
        }

        /** One rank: sends message k + a to its next rank, then receives message k from its previous rank. */
        private final class Rank implements Runnable
        {
            private final int rank;
            private final ExclusivePublication toNext;
            private final Subscription fromPrevious;
            private final IdleStrategy idle;
            private final UnsafeBuffer message;
            private final byte[] copy;
            private final FragmentAssembler assembler;
            private long received;

            private Rank(final int rank, final ExclusivePublication toNext, final Subscription fromPrevious, final IdleStrategy idle)
            {
                this.rank = rank;
                this.toNext = toNext;
                this.fromPrevious = fromPrevious;
                this.idle = idle;
                this.message = RawAeron.noise(messageLength, 5 + rank);
                this.copy = new byte[messageLength];
                this.assembler = new FragmentAssembler(
                    (buffer, offset, length, header) -> onMessage(buffer, offset, length), messageLength, false);
            }

            @Override
            public void run()
            {
                try
                {
                    for (int round = 0; round < rounds; round++)
                    {
                        if (!pass(RawAeron.WAIT_TIMEOUT_NS))
                        {
                            return;
                        }
                        received = 0;
                        for (long k = 0; k < messages + sendAhead; k++)
                        {
                            if (k < messages)
                            {
                                RawAeron.offer(toNext, message, messageLength, idle, abandoned);
                            }
                            if (k >= sendAhead)
                            {
                                receive(k - sendAhead);
                            }
                        }
                        finishNs[rank] = System.nanoTime();
                        if (!pass(REPETITION_TIMEOUT_NS))
                        {
                            return;
                        }
                    }
                }
                catch (final TimeoutException | RuntimeException ex)
                {
                    failure.compareAndSet(null, ex);
                    phaser.forceTermination();
                }
            }

            /** Polls until message {@code k} (counting from 0 in this round) has arrived. */
            private void receive(final long k)
            {
                final long deadline = System.nanoTime() + RawAeron.WAIT_TIMEOUT_NS;
                idle.reset();
                while (received <= k)
                {
                    if (fromPrevious.poll(assembler, RawAeron.FRAGMENT_LIMIT) > 0)
                    {
                        idle.reset();
                        continue;
                    }
                    if (abandoned.getAsBoolean())
                    {
                        throw new IllegalStateException("rank " + rank + " abandoned its receive");
                    }
                    if (System.nanoTime() - deadline >= 0)
                    {
                        throw new IllegalStateException("rank " + rank + " timed out after " +
                            TimeUnit.NANOSECONDS.toSeconds(RawAeron.WAIT_TIMEOUT_NS) + " s waiting for message " + k);
                    }
                    idle.idle();
                }
            }

            private void onMessage(final DirectBuffer buffer, final int offset, final int length)
            {
                buffer.getBytes(offset, copy, 0, length);
                received++;
            }
        }
    }
}
