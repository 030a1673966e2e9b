package io.qring.allreduce.quantum;

import io.qring.allreduce.LocalRing;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import io.qring.allreduce.link.AuthenticatedLink;
import io.qring.allreduce.link.FrameHeaderFlyweight;
import io.qring.allreduce.link.InMemoryNetwork;
import io.qring.allreduce.link.Link;
import io.qring.allreduce.link.LinkClosedException;
import io.qring.allreduce.link.LinkTimeoutException;
import io.qring.allreduce.link.LinkWrapper;
import io.qring.allreduce.link.MessageHandler;
import io.qring.channel.ledger.LedgerCounter;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every wait of a quantum link has a deadline: a send or receive never outlasts its caller's, and the
 * link's own repair and control sends give up after {@link QuantumLinkSettings#controlTimeoutNs()},
 * failing the link with an error naming the peer. Two in-memory ranks whose queues hold two messages
 * each; the test plays the classical far end of one quantum link and stops reading at a chosen moment,
 * so a transport that no longer takes frames is reproduced exactly.
 */
class QuantumLinkDeadlineTest
{
    private static final int CHUNK_LENGTH = 16 * 1024;
    private static final int QUEUE_CAPACITY = 2;
    private static final int MESSAGE_LENGTH = 1024;
    private static final long CONTROL_TIMEOUT_NS = TimeUnit.MILLISECONDS.toNanos(1_500);
    private static final long CALL_BUDGET_NS = TimeUnit.MILLISECONDS.toNanos(300);
    /** Scheduling slack on a shared 2-core machine, on top of a deadline. */
    private static final long SLACK_NS = TimeUnit.MILLISECONDS.toNanos(400);
    private static final long GENEROUS_NS = TimeUnit.SECONDS.toNanos(5);
    private static final MessageHandler IGNORE = (buffer, offset, length) -> { };

    @Test
    void shouldFailASendWithinItsDeadlineWhileARepairIsStuckAndThenFailTheLinkNamingThePeer()
    {
        final QuantumLinkSettings settings = QuantumLinkSettings.builder().blockLength(MESSAGE_LENGTH)
            .controlTimeoutNs(CONTROL_TIMEOUT_NS).build();
        try (LocalRing ring = LocalRing.start(context(quantumOn(settings, true))))
        {
            final Link sender = ring.rank(0).next();
            final long repairStarted = stickARepair(sender, ring.rank(1).previous());

            final long start = System.nanoTime();
            final LinkTimeoutException timeout = assertThrows(LinkTimeoutException.class,
                () -> sender.send(message(), 0, MESSAGE_LENGTH, start + CALL_BUDGET_NS));
            final long sendNs = System.nanoTime() - start;
            assertTrue(sendNs < CALL_BUDGET_NS + SLACK_NS, "the send waited " + millis(sendNs) + " ms for a " +
                millis(CALL_BUDGET_NS) + " ms deadline: " + timeout.getMessage());
            assertEquals(sender.peerName(), timeout.peerName());
            assertTrue(timeout.getMessage().contains("resending 1 corrupted blocks of frame 0"), timeout.getMessage());

            final LinkTimeoutException failed = assertThrows(LinkTimeoutException.class,
                () -> sender.send(message(), 0, MESSAGE_LENGTH, System.nanoTime() + GENEROUS_NS));
            final long failedNs = System.nanoTime() - repairStarted;
            assertTrue(failedNs < CONTROL_TIMEOUT_NS + SLACK_NS, "the stuck repair failed the link after " + millis(failedNs) +
                " ms, control timeout " + millis(CONTROL_TIMEOUT_NS) + " ms");
            assertEquals(sender.peerName(), failed.peerName());
            assertTrue(failed.getMessage().contains("resending 1 corrupted blocks of frame 0 to " + sender.peerName()),
                failed.getMessage());
            assertTrue(failed.getMessage().contains("control timeout of " + millis(CONTROL_TIMEOUT_NS) + " ms"),
                failed.getMessage());

            final long closeStart = System.nanoTime();
            ring.close();
            assertTrue(System.nanoTime() - closeStart < CALL_BUDGET_NS + SLACK_NS, "closing a failed link must not drain");
        }
    }

    /**
     * The send waits for acknowledgements (the window is full) without the lock, the control thread
     * then takes it for a repair that gets stuck; the send must still give up at its deadline.
     */
    @Test
    void shouldFailASendWaitingForAcknowledgementsWithinItsDeadlineWhileARepairIsStuck() throws Exception
    {
        final QuantumLinkSettings settings = QuantumLinkSettings.builder().blockLength(MESSAGE_LENGTH)
            .window(3).controlTimeoutNs(CONTROL_TIMEOUT_NS).build();
        try (LocalRing ring = LocalRing.start(context(quantumOn(settings, true))))
        {
            final Link sender = ring.rank(0).next();
            final Link farEnd = ring.rank(1).previous();
            fillTheFarEndsQueue(sender, farEnd);

            final long start = System.nanoTime();
            final CompletableFuture<Throwable> send = CompletableFuture.supplyAsync(() -> assertThrows(LinkTimeoutException.class,
                () -> sender.send(message(), 0, MESSAGE_LENGTH, start + 2 * CALL_BUDGET_NS)));
            askForARepair(sender, farEnd);
            final Throwable timeout = send.get(2 * GENEROUS_NS, TimeUnit.NANOSECONDS);
            final long sendNs = System.nanoTime() - start;
            assertTrue(sendNs < 2 * CALL_BUDGET_NS + SLACK_NS, "the send waited " + millis(sendNs) + " ms for a " +
                millis(2 * CALL_BUDGET_NS) + " ms deadline: " + timeout.getMessage());
            assertTrue(timeout.getMessage().contains("resending 1 corrupted blocks of frame 0"), timeout.getMessage());
        }
    }

    @Test
    void shouldAbortAndCloseWithoutWaitingForAStuckRepair()
    {
        final QuantumLinkSettings settings = QuantumLinkSettings.builder().blockLength(MESSAGE_LENGTH)
            .controlTimeoutNs(GENEROUS_NS).build();
        try (LocalRing ring = LocalRing.start(context(quantumOn(settings, true))))
        {
            final Link sender = ring.rank(0).next();
            stickARepair(sender, ring.rank(1).previous());

            final long start = System.nanoTime();
            sender.abort("rank 0 gives up in a test");
            final long abortNs = System.nanoTime() - start;
            assertTrue(abortNs < AuthenticatedLink.ABORT_SEND_TIMEOUT_NS + SLACK_NS, "abort took " + millis(abortNs) + " ms");
            final LinkClosedException aborted = assertThrows(LinkClosedException.class,
                () -> sender.send(message(), 0, MESSAGE_LENGTH, System.nanoTime() + GENEROUS_NS));
            assertTrue(System.nanoTime() - start < AuthenticatedLink.ABORT_SEND_TIMEOUT_NS + SLACK_NS,
                "an aborted link fails sends at once");
            assertTrue(aborted.getMessage().contains("rank 0 gives up in a test"), aborted.getMessage());

            ring.close();
            final long closeNs = System.nanoTime() - start;
            assertTrue(closeNs < GENEROUS_NS / 4, "closing waited " + millis(closeNs) + " ms for the stuck repair");
        }
    }

    @Test
    void shouldFailAReceiveWithinItsDeadlineWhenItsRepairRequestsAreNotRead() throws Exception
    {
        final QuantumLinkSettings settings = QuantumLinkSettings.builder().controlTimeoutNs(GENEROUS_NS).build();
        try (LocalRing ring = LocalRing.start(context(quantumOn(settings, false))))
        {
            final Link peer = ring.rank(0).next();
            final Link receiver = ring.rank(1).previous();
            final CompletableFuture<Void> corrupted = CompletableFuture.runAsync(() ->
            {
                for (long sequence = 0; sequence < 3; sequence++)
                {
                    final UnsafeBuffer frame = corruptedClassicalFrame(sequence);
                    peer.send(frame, 0, frame.capacity(), System.nanoTime() + GENEROUS_NS);
                }
            });

            final long start = System.nanoTime();
            final LinkTimeoutException timeout = assertThrows(LinkTimeoutException.class,
                () -> receiver.receive(IGNORE, start + 2 * CALL_BUDGET_NS));
            final long receiveNs = System.nanoTime() - start;
            assertTrue(receiveNs < 2 * CALL_BUDGET_NS + SLACK_NS, "the receive waited " + millis(receiveNs) + " ms for a " +
                millis(2 * CALL_BUDGET_NS) + " ms deadline: " + timeout.getMessage());
            assertEquals(receiver.peerName(), timeout.peerName());
            assertTrue(timeout.getMessage().contains("requesting 1 corrupted blocks of frame 2 again to " + receiver.peerName()),
                timeout.getMessage());
            corrupted.get(GENEROUS_NS, TimeUnit.NANOSECONDS);

            final long again = System.nanoTime();
            final LinkTimeoutException failed = assertThrows(LinkTimeoutException.class,
                () -> receiver.receive(IGNORE, System.nanoTime() + GENEROUS_NS));
            assertTrue(System.nanoTime() - again < SLACK_NS, "a failed link must not wait for frames");
            assertTrue(failed.getMessage().contains("quantum link from " + receiver.peerName()), failed.getMessage());
        }
    }

    @Test
    void shouldRejectANonPositiveControlTimeout()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> QuantumLinkSettings.builder().controlTimeoutNs(0).build());
        assertTrue(ex.getMessage().contains("control timeout"), ex.getMessage());
        assertEquals(QuantumLinkSettings.DEFAULT_CONTROL_TIMEOUT_NS, QuantumLinkSettings.builder().build().controlTimeoutNs());
        assertTrue(QuantumLinkSettings.builder().controlTimeoutNs(TimeUnit.SECONDS.toNanos(2)).build().toString()
            .contains("controlTimeoutMs=2000"));
    }

    /**
     * Sends three frames, the far end reading the first, so the second and third fill its queue, then
     * asks for the first frame's only block again and stops reading. The repair cannot be handed over.
     * The sender's blocks must have a fixed length: an adaptive sender would split the failed block
     * ({@link QuantumFrame#REBLOCK}) rather than resend it.
     *
     * @return when the repair was seen to start.
     */
    private static long stickARepair(final Link sender, final Link farEnd)
    {
        fillTheFarEndsQueue(sender, farEnd);
        return askForARepair(sender, farEnd);
    }

    /** Sends frames 0 to 2; the far end reads frame 0, so frames 1 and 2 fill its queue. */
    private static void fillTheFarEndsQueue(final Link sender, final Link farEnd)
    {
        sender.send(message(), 0, MESSAGE_LENGTH, System.nanoTime() + GENEROUS_NS);
        sender.send(message(), 0, MESSAGE_LENGTH, System.nanoTime() + GENEROUS_NS);
        farEnd.receive(IGNORE, System.nanoTime() + GENEROUS_NS);
        sender.send(message(), 0, MESSAGE_LENGTH, System.nanoTime() + GENEROUS_NS);
    }

    /**
     * The far end asks for frame 0's only block again and reads nothing more.
     *
     * @return when the sender was seen to start the repair.
     */
    private static long askForARepair(final Link sender, final Link farEnd)
    {
        final UnsafeBuffer nack = new UnsafeBuffer(new byte[QuantumFrame.HEADER_LENGTH + 4]);
        QuantumFrame.writeHeader(nack, QuantumFrame.NACK, (byte)0, 1, 0);
        nack.putInt(QuantumFrame.HEADER_LENGTH, 0, QuantumFrame.ORDER);
        farEnd.send(nack, 0, nack.capacity(), System.nanoTime() + GENEROUS_NS);

        final long deadline = System.nanoTime() + GENEROUS_NS;
        while (sender.ledger().get(LedgerCounter.RETRANSMITTED_QUBITS) == 0)
        {
            assertTrue(System.nanoTime() < deadline, "the sender never started the repair");
            Thread.onSpinWait();
        }
        return System.nanoTime();
    }

    /** A classical-flagged data frame of one block whose checksum is wrong, so the receiver asks for it again. */
    private static UnsafeBuffer corruptedClassicalFrame(final long sequence)
    {
        final int overhead = QuantumFrame.dataOverhead(1);
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[overhead + MESSAGE_LENGTH]);
        QuantumFrame.writeHeader(frame, QuantumFrame.DATA, QuantumFrame.FLAG_CLASSICAL, MESSAGE_LENGTH, sequence);
        frame.putInt(QuantumFrame.BLOCK_LENGTH_OFFSET, MESSAGE_LENGTH, QuantumFrame.ORDER);
        final int crc = new BlockChecksums().block(new byte[MESSAGE_LENGTH], 0, MESSAGE_LENGTH, MESSAGE_LENGTH, 0);
        frame.putInt(QuantumFrame.DATA_CRCS_OFFSET, ~crc, QuantumFrame.ORDER);
        return frame;
    }

    /**
     * The quantum link on rank 0's next link only ({@code sender}) or on rank 1's previous link only;
     * the test drives the classical link at the other end.
     */
    private static LinkWrapper quantumOn(final QuantumLinkSettings settings, final boolean sender)
    {
        final LinkWrapper quantum = settings.wrapper();
        return new LinkWrapper()
        {
            @Override
            public Link wrapNext(final Link link, final int selfRank, final int nextRank)
            {
                return sender && selfRank == 0 ? quantum.wrapNext(link, selfRank, nextRank) : link;
            }

            @Override
            public Link wrapPrevious(final Link link, final int selfRank, final int previousRank)
            {
                return !sender && selfRank == 1 ? quantum.wrapPrevious(link, selfRank, previousRank) : link;
            }
        };
    }

    private static RingContext context(final LinkWrapper wrapper)
    {
        return new RingContext()
            .transport(TransportKind.IN_MEMORY)
            .worldSize(2)
            .chunkLength(CHUNK_LENGTH)
            .inMemoryNetwork(new InMemoryNetwork(2, CHUNK_LENGTH + FrameHeaderFlyweight.HEADER_LENGTH, QUEUE_CAPACITY))
            .connectTimeoutNs(TimeUnit.SECONDS.toNanos(10))
            .operationTimeoutNs(TimeUnit.SECONDS.toNanos(10))
            .linkWrapper(wrapper);
    }

    private static UnsafeBuffer message()
    {
        return new UnsafeBuffer(new byte[MESSAGE_LENGTH]);
    }

    private static long millis(final long nanos)
    {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
