package io.qring.allreduce.link;

import io.qring.channel.ledger.LinkLedger;
import org.agrona.DirectBuffer;

/**
 * A {@link Link} that forwards every call to an inner link: the base for decorators, which override
 * only what they change (typically {@link #send}, {@link #receive}, {@link #ledger()} and
 * {@link #maxMessageLength()}) and inherit correct forwarding of {@link #abort} and {@link #close}.
 */
public abstract class DelegatingLink implements Link
{
    /** The decorated link. */
    protected final Link delegate;

    /**
     * @param delegate the link to decorate.
     */
    protected DelegatingLink(final Link delegate)
    {
        if (null == delegate)
        {
            throw new IllegalArgumentException("delegate link must not be null");
        }
        this.delegate = delegate;
    }

    /** {@inheritDoc} */
    @Override
    public int peerRank()
    {
        return delegate.peerRank();
    }

    /** {@inheritDoc} */
    @Override
    public String peerName()
    {
        return delegate.peerName();
    }

    /** {@inheritDoc} */
    @Override
    public int maxMessageLength()
    {
        return delegate.maxMessageLength();
    }

    /** {@inheritDoc} */
    @Override
    public void send(final DirectBuffer buffer, final int offset, final int length, final long deadlineNanos)
    {
        delegate.send(buffer, offset, length, deadlineNanos);
    }

    /** {@inheritDoc} */
    @Override
    public void receive(final MessageHandler handler, final long deadlineNanos)
    {
        delegate.receive(handler, deadlineNanos);
    }

    /** {@inheritDoc} */
    @Override
    public void flush(final long deadlineNanos)
    {
        delegate.flush(deadlineNanos);
    }

    /** {@inheritDoc} */
    @Override
    public int maxUnreceivedMessages(final int length)
    {
        return delegate.maxUnreceivedMessages(length);
    }

    /** {@inheritDoc} */
    @Override
    public String awaitPeerAbortReason(final long deadlineNanos)
    {
        return delegate.awaitPeerAbortReason(deadlineNanos);
    }

    /** {@inheritDoc} */
    @Override
    public LinkLedger ledger()
    {
        return delegate.ledger();
    }

    /** {@inheritDoc} */
    @Override
    public void abort(final String reason)
    {
        delegate.abort(reason);
    }

    /** {@inheritDoc} */
    @Override
    public void close()
    {
        delegate.close();
    }
}
