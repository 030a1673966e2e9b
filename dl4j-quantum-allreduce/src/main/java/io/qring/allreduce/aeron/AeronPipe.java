package io.qring.allreduce.aeron;

import io.aeron.AeronCounters;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Image;
import io.aeron.ImageFragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.aeron.protocol.DataHeaderFlyweight;
import io.qring.allreduce.link.MessagePipe;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.status.CountersReader;

import java.util.concurrent.TimeUnit;

/**
 * A {@link MessagePipe} over one Aeron exclusive publication (to the peer) and one subscription (from
 * the peer). Messages larger than the MTU are fragmented by Aeron and reassembled here with one reused
 * assembler: a {@link FragmentAssembler} across sessions until the link locks onto the authenticated
 * peer's session, then an {@link ImageFragmentAssembler} on that image alone.
 */
final class AeronPipe implements MessagePipe
{
    /** Longest {@link #close()} waits for the media driver to send what was offered over UDP. */
    static final long CLOSE_SEND_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(1);

    private final ExclusivePublication publication;
    private final Subscription subscription;
    private final CountersReader counters;
    private final String description;
    private final FragmentAssembler assembler;
    private final ImageFragmentAssembler imageAssembler;
    private final FragmentHandler fragmentHandler = this::onFragment;
    private MessageConsumer consumer;
    private boolean locked;
    private int lockedSessionId;
    private Image image;
    private volatile boolean closed;

    AeronPipe(
        final ExclusivePublication publication,
        final Subscription subscription,
        final CountersReader counters,
        final String description,
        final int initialAssemblyLength)
    {
        this.publication = publication;
        this.subscription = subscription;
        this.counters = counters;
        this.description = description;
        this.assembler = new FragmentAssembler(fragmentHandler, initialAssemblyLength, false);
        this.imageAssembler = new ImageFragmentAssembler(fragmentHandler, initialAssemblyLength, false);
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
        final long result = publication.offer(header, headerOffset, headerLength, payload, payloadOffset, payloadLength, null);
        if (result > 0)
        {
            return OfferStatus.SENT;
        }
        if (Publication.NOT_CONNECTED == result)
        {
            return OfferStatus.NOT_CONNECTED;
        }
        if (Publication.BACK_PRESSURED == result)
        {
            return OfferStatus.BACK_PRESSURED;
        }
        if (Publication.ADMIN_ACTION == result)
        {
            return OfferStatus.ADMIN_ACTION;
        }
        if (Publication.MAX_POSITION_EXCEEDED == result)
        {
            return OfferStatus.MAX_POSITION_EXCEEDED;
        }
        return OfferStatus.CLOSED;
    }

    @Override
    public int poll(final MessageConsumer consumer, final int fragmentLimit)
    {
        if (closed)
        {
            return 0;
        }
        this.consumer = consumer;
        if (!locked)
        {
            return subscription.poll(assembler, fragmentLimit);
        }
        if (null == image)
        {
            image = subscription.imageBySessionId(lockedSessionId);
            if (null == image)
            {
                return 0;
            }
        }
        return image.poll(imageAssembler, fragmentLimit);
    }

    @Override
    public void acceptOnlySession(final int sessionId)
    {
        locked = true;
        lockedSessionId = sessionId;
        image = subscription.imageBySessionId(sessionId);
    }

    @Override
    public String peerGoneReason()
    {
        if (!locked)
        {
            return null;
        }
        if (null == image)
        {
            image = subscription.imageBySessionId(lockedSessionId);
            if (null == image)
            {
                return "its stream (session " + lockedSessionId + ") is no longer available on " + description;
            }
        }
        if (image.isEndOfStream())
        {
            return "it closed its stream (end of stream on " + description + ")";
        }
        if (image.isClosed())
        {
            return "its stream went away (image closed on " + description + ", liveness timeout or peer exit)";
        }
        return null;
    }

    @Override
    public int maxMessageLength()
    {
        return publication.maxMessageLength();
    }

    /**
     * What the publication's term window (half a term, Aeron's default for IPC and UDP) surely holds of
     * such messages, each fragment counted whole with its header: an IPC publication moves its limit only
     * once its reader is an eighth of the window past the last move, so an eighth is left out. A UDP
     * receiver's window adds to it.
     */
    @Override
    public int maxUnreceivedMessages(final int length)
    {
        return unreceivedCapacity(publication.termBufferLength(), length, publication.maxPayloadLength());
    }

    /**
     * @param termLength       term length of the publication.
     * @param messageLength    bytes of each message.
     * @param maxPayloadLength payload of one fragment (MTU less the frame header).
     * @return how many such messages seven eighths of half a term hold, at least 1.
     */
    static int unreceivedCapacity(final int termLength, final int messageLength, final int maxPayloadLength)
    {
        final long window = termLength / 2 - termLength / 16;
        final long fragments = Math.max(1, (messageLength + (long)maxPayloadLength - 1) / maxPayloadLength);
        final long framedLength = fragments * (maxPayloadLength + (long)DataHeaderFlyweight.HEADER_LENGTH);
        return (int)Math.max(1, window / framedLength);
    }

    @Override
    public String describe()
    {
        return description;
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        awaitSent(System.nanoTime() + CLOSE_SEND_TIMEOUT_NS);
        CloseHelper.quietCloseAll(publication, subscription);
    }

    /**
     * Waits, while the peer is connected and up to the deadline, until the driver has sent everything
     * offered on a network publication (an IPC publication has no sender). A closed publication lingers
     * in a running driver, but a rank's process stops its embedded driver as soon as its last link
     * closes, which would drop the tail: the last acknowledgement, or the abort telling a neighbour why.
     */
    private void awaitSent(final long deadlineNs)
    {
        final int senderPosition = counters.findByTypeIdAndRegistrationId(
            AeronCounters.DRIVER_SENDER_POSITION_TYPE_ID, publication.registrationId());
        if (CountersReader.NULL_COUNTER_ID == senderPosition)
        {
            return;
        }
        final long offered = publication.position();
        while (publication.isConnected() && counters.getCounterValue(senderPosition) < offered &&
            deadlineNs - System.nanoTime() > 0)
        {
            Thread.yield();
        }
    }

    private void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        consumer.onMessage(buffer, offset, length, header.sessionId());
    }
}
