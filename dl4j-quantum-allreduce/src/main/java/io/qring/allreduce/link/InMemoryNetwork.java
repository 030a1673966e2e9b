package io.qring.allreduce.link;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.ArrayBlockingQueue;

/**
 * The in-process "network" of a ring whose ranks are threads of one JVM, for unit tests: for every
 * ring edge, two bounded queues of messages (one per direction). Each rank takes its two
 * {@link MessagePipe}s from here.
 */
public final class InMemoryNetwork
{
    /** Default number of messages each direction of an edge buffers before back-pressuring the sender. */
    public static final int DEFAULT_QUEUE_CAPACITY = 64;

    private final int worldSize;
    private final int maxMessageLength;
    private final Channel[] forward;
    private final Channel[] backward;

    /**
     * @param worldSize        number of ranks, at least 2.
     * @param maxMessageLength largest whole message (header plus payload) a pipe carries.
     * @param queueCapacity    messages buffered per direction of an edge.
     */
    public InMemoryNetwork(final int worldSize, final int maxMessageLength, final int queueCapacity)
    {
        if (worldSize < 2)
        {
            throw new IllegalArgumentException("an in-memory ring needs at least 2 ranks, got " + worldSize);
        }
        if (maxMessageLength <= FrameHeaderFlyweight.HEADER_LENGTH || queueCapacity < 2)
        {
            throw new IllegalArgumentException("maxMessageLength must exceed the frame header and queueCapacity be >= 2: " +
                maxMessageLength + ", " + queueCapacity);
        }
        this.worldSize = worldSize;
        this.maxMessageLength = maxMessageLength;
        this.forward = new Channel[worldSize];
        this.backward = new Channel[worldSize];
        for (int edge = 0; edge < worldSize; edge++)
        {
            forward[edge] = new Channel(queueCapacity);
            backward[edge] = new Channel(queueCapacity);
        }
    }

    /** @return number of ranks. */
    public int worldSize()
    {
        return worldSize;
    }

    /** @return largest whole message a pipe carries. */
    public int maxMessageLength()
    {
        return maxMessageLength;
    }

    /**
     * The pipe between {@code rank} and its next rank: sends on the forward direction of edge
     * {@code rank}, receives on its backward direction.
     *
     * @param rank a rank.
     * @return a new pipe end.
     */
    public MessagePipe nextPipe(final int rank)
    {
        return new Pipe(forward[rank], backward[rank], "in-memory edge " + rank + "->" + (rank + 1) % worldSize);
    }

    /**
     * The pipe between {@code rank} and its previous rank: receives on the forward direction of edge
     * {@code rank - 1}, sends on its backward direction.
     *
     * @param rank a rank.
     * @return a new pipe end.
     */
    public MessagePipe previousPipe(final int rank)
    {
        final int edge = (rank - 1 + worldSize) % worldSize;
        return new Pipe(backward[edge], forward[edge], "in-memory edge " + edge + "->" + rank);
    }

    private static final class Channel
    {
        private final ArrayBlockingQueue<byte[]> queue;
        private final int capacity;
        private volatile boolean writerClosed;
        private volatile boolean readerClosed;

        Channel(final int capacity)
        {
            this.queue = new ArrayBlockingQueue<>(capacity);
            this.capacity = capacity;
        }
    }

    private final class Pipe implements MessagePipe
    {
        private final Channel outbound;
        private final Channel inbound;
        private final String description;
        private final UnsafeBuffer deliveryBuffer = new UnsafeBuffer(new byte[0]);
        private volatile boolean closed;

        Pipe(final Channel outbound, final Channel inbound, final String description)
        {
            this.outbound = outbound;
            this.inbound = inbound;
            this.description = description;
        }

        @Override
        public OfferStatus offer(
            final DirectBuffer header,
            final int headerOffset,
            final int headerLength,
            final DirectBuffer payload,
            final int payloadOffset,
            final int payloadLength)
        {
            if (closed)
            {
                return OfferStatus.CLOSED;
            }
            if (outbound.readerClosed)
            {
                return OfferStatus.NOT_CONNECTED;
            }
            if (headerLength + payloadLength > maxMessageLength)
            {
                throw new IllegalArgumentException("message of " + (headerLength + payloadLength) +
                    " bytes exceeds the maximum of " + maxMessageLength);
            }
            if (outbound.queue.remainingCapacity() == 0)
            {
                return OfferStatus.BACK_PRESSURED;
            }
            final byte[] message = new byte[headerLength + payloadLength];
            header.getBytes(headerOffset, message, 0, headerLength);
            payload.getBytes(payloadOffset, message, headerLength, payloadLength);
            return outbound.queue.offer(message) ? OfferStatus.SENT : OfferStatus.BACK_PRESSURED;
        }

        @Override
        public int poll(final MessageConsumer consumer, final int fragmentLimit)
        {
            if (closed)
            {
                return 0;
            }
            final byte[] message = inbound.queue.poll();
            if (null == message)
            {
                return 0;
            }
            deliveryBuffer.wrap(message);
            consumer.onMessage(deliveryBuffer, 0, message.length, 0);
            return 1;
        }

        @Override
        public void acceptOnlySession(final int sessionId)
        {
        }

        @Override
        public String peerGoneReason()
        {
            return inbound.writerClosed && inbound.queue.isEmpty() ? "the peer closed its end of " + description : null;
        }

        @Override
        public int maxMessageLength()
        {
            return maxMessageLength;
        }

        @Override
        public int maxUnreceivedMessages(final int length)
        {
            return outbound.capacity;
        }

        @Override
        public String describe()
        {
            return description;
        }

        @Override
        public void close()
        {
            closed = true;
            outbound.writerClosed = true;
            inbound.readerClosed = true;
            inbound.queue.clear();
        }
    }
}
