package io.qring.allreduce.aeron;

import io.aeron.Aeron;
import io.aeron.CommonContext;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.qring.allreduce.link.MessagePipe;
import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AeronPipeTest
{
    private static final Logger LOG = LoggerFactory.getLogger(AeronPipeTest.class);
    private static final int MESSAGES = 200;
    private static final int HEADER_LENGTH = 8;
    private static final int PAYLOAD_LENGTH = 60 * 1024;
    private static final long DEADLINE_NS = TimeUnit.SECONDS.toNanos(10);
    /**
     * How long the peer stops reading once everything is offered: well within
     * {@link AeronPipe#CLOSE_SEND_TIMEOUT_NS}, but longer than a close that does not wait takes to stop
     * the sending driver.
     */
    private static final long READING_PAUSE_NS = TimeUnit.MILLISECONDS.toNanos(200);

    /**
     * Seven eighths of half a term (Aeron's producer window, less what an IPC limit may lag) hold whole
     * messages, each fragment counted full with its header.
     */
    @Test
    void shouldCountTheMessagesThatSurelyFitTheProducerWindowFragmentHeadersIncluded()
    {
        assertEquals(20, AeronPipe.unreceivedCapacity(64 * 1024, 1000, 1376), "28 KiB of 1408-byte frames");
        assertEquals(6, AeronPipe.unreceivedCapacity(64 * 1024, 4000, 1376), "three frames each");
        assertEquals(6, AeronPipe.unreceivedCapacity(2 << 20, 128 * 1024 + 64, 1376), "the default chunk and term");
        assertEquals(1, AeronPipe.unreceivedCapacity(64 * 1024, 60 * 1024, 1376), "never less than one");
    }

    /**
     * A rank's process stops its embedded driver right after its last link closes. Over UDP, closing the
     * pipe must first let the driver send what was offered: here the sending driver is closed at once
     * after the pipe, and the receiver must still get every message. A 1 MiB term keeps what the
     * publication may run ahead of the driver (half a term) small enough to send well within
     * {@link AeronPipe#CLOSE_SEND_TIMEOUT_NS} on a busy machine (a default 16 MiB term could leave 8 MiB);
     * the offers run into that limit, and the peer stops reading as the pipe closes, so the driver can
     * send only the peer's receiver window until it reads again: a close that did not wait would leave
     * several messages unsent.
     */
    @Test
    void shouldHaveSentEverythingOfferedWhenAUdpPipeCloses() throws InterruptedException
    {
        final MediaDriver receivingDriver = MediaDriver.launch(driverContext());
        final Aeron receiver = client(receivingDriver.aeronDirectoryName());
        MediaDriver sendingDriver = null;
        Aeron sender = null;
        try
        {
            final Subscription inbound = receiver.addSubscription("aeron:udp?endpoint=localhost:0", 10);
            final String endpoint = awaitEndpoint(inbound);
            sendingDriver = MediaDriver.launch(driverContext());
            sender = client(sendingDriver.aeronDirectoryName());
            final ExclusivePublication outbound = sender.addExclusivePublication(
                "aeron:udp?endpoint=" + endpoint + "|term-length=1m", 10);
            final AeronPipe pipe = new AeronPipe(outbound, sender.addSubscription("aeron:ipc", 11), sender.countersReader(),
                "udp to " + endpoint, PAYLOAD_LENGTH);
            final AtomicInteger received = new AtomicInteger();
            final FragmentAssembler assembler = new FragmentAssembler((buffer, offset, length, header) ->
            {
                if (PAYLOAD_LENGTH + HEADER_LENGTH == length)
                {
                    received.incrementAndGet();
                }
            });
            final long deadline = System.nanoTime() + DEADLINE_NS;
            final AtomicLong readFromNs = new AtomicLong(System.nanoTime());
            final Thread peer = new Thread(() ->
            {
                while (received.get() < MESSAGES && System.nanoTime() < deadline)
                {
                    if (System.nanoTime() - readFromNs.get() < 0 || inbound.poll(assembler, 16) == 0)
                    {
                        Thread.yield();
                    }
                }
            }, "peer");
            peer.start();
            final UnsafeBuffer header = new UnsafeBuffer(new byte[HEADER_LENGTH]);
            final UnsafeBuffer payload = new UnsafeBuffer(new byte[PAYLOAD_LENGTH]);
            int offered = 0;
            while (offered < MESSAGES && System.nanoTime() < deadline)
            {
                if (MessagePipe.OfferStatus.SENT == pipe.offer(header, 0, HEADER_LENGTH, payload, 0, PAYLOAD_LENGTH))
                {
                    offered++;
                }
            }

            readFromNs.set(System.nanoTime() + READING_PAUSE_NS);
            pipe.close();
            CloseHelper.closeAll(sender, sendingDriver);
            peer.join(TimeUnit.NANOSECONDS.toMillis(DEADLINE_NS));

            assertEquals(MESSAGES, offered, "messages offered");
            assertEquals(MESSAGES, received.get(), "messages received of those offered before the pipe closed");
        }
        finally
        {
            CloseHelper.quietCloseAll(sender, sendingDriver, receiver, receivingDriver);
        }
    }

    /** A standalone driver (not the embedded one) in a fresh directory, deleted on start and shutdown. */
    static MediaDriver.Context driverContext()
    {
        return new MediaDriver.Context()
            .aeronDirectoryName(CommonContext.generateRandomDirName())
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .threadingMode(ThreadingMode.SHARED);
    }

    /**
     * A client that logs its errors: Aeron's default handler calls {@code System.exit} when the client
     * outlives its driver, which kills the whole test JVM instead of failing one test.
     */
    static Aeron client(final String aeronDirectoryName)
    {
        return Aeron.connect(new Aeron.Context().aeronDirectoryName(aeronDirectoryName)
            .errorHandler(ex -> LOG.warn("test client of {}", aeronDirectoryName, ex)));
    }

    private static String awaitEndpoint(final Subscription subscription)
    {
        final long deadline = System.nanoTime() + DEADLINE_NS;
        String endpoint = subscription.resolvedEndpoint();
        while (null == endpoint && System.nanoTime() < deadline)
        {
            Thread.yield();
            endpoint = subscription.resolvedEndpoint();
        }
        assertTrue(null != endpoint, "the subscription resolved its endpoint");
        return endpoint;
    }
}
