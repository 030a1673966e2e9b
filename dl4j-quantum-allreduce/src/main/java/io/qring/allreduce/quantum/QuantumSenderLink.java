package io.qring.allreduce.quantum;

import io.qring.allreduce.link.DelegatingLink;
import io.qring.allreduce.link.Link;
import io.qring.allreduce.link.LinkException;
import io.qring.allreduce.link.LinkTimeoutException;
import io.qring.allreduce.link.MessageHandler;
import io.qring.channel.codec.SuperdenseEncoder;
import io.qring.channel.epr.EprPool;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LinkLedger;
import org.agrona.DirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The sending end of a quantum link (decorates a rank's link to its next neighbour). Each message is
 * superdense-coded over the link's EPR pool, with one CRC-32C per block and one over the whole payload
 * sent as classical bits. The sender keeps each frame, as it went on the wire, until the receiver
 * acknowledges it; a control thread reads acknowledgements and repair requests from the reverse
 * direction, recovers just the failed blocks from the kept frame and resends them on fresh pairs.
 * After a verification alarm under {@link AlarmPolicy#FALLBACK_CLASSICAL} every frame travels as
 * classical bits.
 */
final class QuantumSenderLink extends DelegatingLink
{
    /** How long the control thread waits for one control message before checking whether it should stop. */
    static final long CONTROL_POLL_NS = TimeUnit.MILLISECONDS.toNanos(50);
    /** Longest a closing sender waits for its last frames to be acknowledged. */
    static final long CLOSE_DRAIN_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);
    /** Deadline of a repair frame's send. */
    static final long REPAIR_SEND_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    private static final Logger LOG = LoggerFactory.getLogger(QuantumSenderLink.class);

    private final QuantumLinkSettings settings;
    private final LinkLedger ledger;
    private final EprPool pool;
    private final SuperdenseEncoder encoder;
    private final boolean adaptiveBlocks;
    private final int minBlockLength;
    private final int maxMessageLength;
    private final BlockChecksums checksums = new BlockChecksums();
    private final UnsafeBuffer repairFrame;
    private final UnsafeBuffer gathered;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition acknowledged = lock.newCondition();
    private final Long2ObjectHashMap<PendingMessage> outstanding = new Long2ObjectHashMap<>();
    private final ArrayDeque<PendingMessage> spare = new ArrayDeque<>();
    private final Thread controlThread;
    private final MessageHandler controlHandler = this::onControl;
    private long nextSequence;
    private long acknowledgedThrough;
    private int blockLength;
    private volatile boolean classical;
    private volatile boolean closing;
    private volatile boolean awaitingAcknowledgement;
    private volatile LinkException failure;

    QuantumSenderLink(final Link delegate, final QuantumLinkSettings settings, final int selfRank, final int nextRank)
    {
        super(delegate);
        this.settings = settings;
        final String name = LinkLedger.linkName(selfRank, nextRank);
        this.ledger = new LinkLedger(name);
        this.pool = QuantumLinkWrapper.pool(settings, EprPool.Side.SENDER, selfRank, nextRank, ledger, null);
        this.encoder = new SuperdenseEncoder(pool);
        this.blockLength = settings.blockLength();
        this.adaptiveBlocks = settings.isBlockLengthAdaptive();
        this.maxMessageLength = QuantumLinkWrapper.maxPayload(delegate.maxMessageLength(), settings);
        this.minBlockLength = QuantumLinkWrapper.minBlockLength(delegate.maxMessageLength(), maxMessageLength);
        this.repairFrame = new UnsafeBuffer(new byte[delegate.maxMessageLength()]);
        this.gathered = new UnsafeBuffer(new byte[maxMessageLength]);
        ledger.capacityBitsPerQubit(settings.distributionChannel(selfRank, nextRank).then(settings.onlineChannel()).denseCodingCapacity());
        this.controlThread = new Thread(this::controlLoop, "qring-quantum-" + name);
        controlThread.setDaemon(true);
        controlThread.start();
    }

    @Override
    public int maxMessageLength()
    {
        return maxMessageLength;
    }

    @Override
    public LinkLedger ledger()
    {
        return ledger;
    }

    @Override
    public void send(final DirectBuffer buffer, final int offset, final int length, final long deadlineNanos)
    {
        if (length < 0 || length > maxMessageLength)
        {
            throw new IllegalArgumentException("message of " + length + " bytes to " + peerName() +
                " outside [0, " + maxMessageLength + "] of the quantum link");
        }
        lock.lock();
        try
        {
            awaitWindow(deadlineNanos);
            final PendingMessage pending = spare.isEmpty() ? new PendingMessage(delegate.maxMessageLength()) : spare.poll();
            final long sequence = nextSequence;
            pending.length = length;
            pending.blockLength = blockLength;
            pending.repairs = 0;
            final boolean onHeap = null != buffer.byteArray();
            if (!onHeap)
            {
                buffer.getBytes(offset, gathered, 0, length);
            }
            final DirectBuffer payload = onHeap ? buffer : gathered;
            final int payloadOffset = onHeap ? offset : 0;
            final byte[] bytes = payload.byteArray();
            final int bytesOffset = payload.wrapAdjustment() + payloadOffset;
            final UnsafeBuffer sent = pending.frame;
            final int blocks = QuantumFrame.blockCount(length, blockLength);
            final boolean raw = classical;
            QuantumFrame.writeHeader(sent, QuantumFrame.DATA, raw ? QuantumFrame.FLAG_CLASSICAL : 0, length, sequence);
            sent.putInt(QuantumFrame.BLOCK_LENGTH_OFFSET, blockLength, QuantumFrame.ORDER);
            for (int i = 0; i < blocks; i++)
            {
                sent.putInt(QuantumFrame.DATA_CRCS_OFFSET + 4 * i, checksums.block(bytes, bytesOffset, length, blockLength, i),
                    QuantumFrame.ORDER);
            }
            final int overhead = QuantumFrame.dataOverhead(blocks);
            final int body;
            if (raw)
            {
                sent.putBytes(overhead, payload, payloadOffset, length);
                ledger.add(LedgerCounter.FALLBACK_CLASSICAL_BITS, 8L * length);
                body = length;
            }
            else
            {
                body = encoder.encode(payload, payloadOffset, length, sent, overhead);
            }
            nextSequence++;
            outstanding.put(sequence, pending); // only once encoded: a pool that cannot supply the pairs changes nothing
            if (!awaitingAcknowledgement)
            {
                awaitingAcknowledgement = true;
                LockSupport.unpark(controlThread);
            }
            delegate.send(sent, 0, overhead + body, deadlineNanos);

            ledger.add(LedgerCounter.ONLINE_CLASSICAL_BITS, QuantumFrame.TRANSPORT_HEADER_BITS + 8L * overhead);
            ledger.add(LedgerCounter.CLASSICAL_EQUIVALENT_BITS, QuantumFrame.TRANSPORT_HEADER_BITS);
            if (raw)
            {
                ledger.add(LedgerCounter.PAYLOAD_BITS, 8L * length);
                ledger.add(LedgerCounter.CLASSICAL_EQUIVALENT_BITS, 8L * length);
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    @Override
    public void receive(final MessageHandler handler, final long deadlineNanos)
    {
        throw new IllegalStateException("the quantum link to " + peerName() + " only sends data; its control thread reads the reverse direction");
    }

    /**
     * Waits, up to {@link #CLOSE_DRAIN_TIMEOUT_NS}, until the receiver has acknowledged every frame
     * (a neighbour still inside its last collective may need blocks resent), then stops the control
     * thread and closes the transport link.
     */
    @Override
    public void close()
    {
        awaitDrained(System.nanoTime() + CLOSE_DRAIN_TIMEOUT_NS);
        closing = true;
        LockSupport.unpark(controlThread);
        try
        {
            controlThread.join(TimeUnit.NANOSECONDS.toMillis(4 * CONTROL_POLL_NS));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        super.close();
    }

    private void awaitDrained(final long deadlineNanos)
    {
        lock.lock();
        try
        {
            while (!outstanding.isEmpty() && failure == null && !closing)
            {
                final long remaining = deadlineNanos - System.nanoTime();
                if (remaining <= 0)
                {
                    LOG.warn("{}: closing with {} frames to {} unacknowledged", ledger.link(), outstanding.size(), peerName());
                    return;
                }
                acknowledged.awaitNanos(remaining);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        finally
        {
            lock.unlock();
        }
    }

    private void awaitWindow(final long deadlineNanos)
    {
        while (true)
        {
            final LinkException failed = failure;
            if (failed != null)
            {
                throw failed.withContext("quantum link to " + peerName());
            }
            if (outstanding.size() < settings.window())
            {
                return;
            }
            final long remaining = deadlineNanos - System.nanoTime();
            if (remaining <= 0)
            {
                throw new LinkTimeoutException(peerName(), "timed out waiting for " + peerName() + " to acknowledge " +
                    outstanding.size() + " quantum frames (window " + settings.window() + ")");
            }
            try
            {
                acknowledged.awaitNanos(remaining);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new LinkTimeoutException(peerName(), "interrupted waiting for acknowledgements from " + peerName());
            }
        }
    }

    /**
     * Reads control messages while frames await acknowledgement; with none outstanding (between
     * collectives, or a ring not in use) the thread parks until the next send wakes it, so an idle
     * link costs no CPU. A control message arriving meanwhile waits for the next send or poll.
     */
    private void controlLoop()
    {
        while (!closing)
        {
            if (!awaitingAcknowledgement)
            {
                LockSupport.parkNanos(this, CONTROL_POLL_NS);
                continue;
            }
            try
            {
                delegate.receive(controlHandler, System.nanoTime() + CONTROL_POLL_NS);
            }
            catch (final LinkTimeoutException ex)
            {
                continue;
            }
            catch (final LinkException ex)
            {
                if (!closing)
                {
                    fail(ex);
                }
                return;
            }
            catch (final RuntimeException ex)
            {
                fail(new QuantumLinkException(peerName(), "control message from " + peerName() + " could not be handled: " + ex, ex));
                return;
            }
        }
    }

    private void onControl(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < QuantumFrame.HEADER_LENGTH)
        {
            throw new IllegalStateException("control message of " + length + " bytes is shorter than its header");
        }
        final long sequence = QuantumFrame.sequence(buffer, offset);
        switch (QuantumFrame.type(buffer, offset))
        {
            case QuantumFrame.ACK -> onAck(sequence);
            case QuantumFrame.NACK -> repair(sequence, buffer, offset + QuantumFrame.HEADER_LENGTH, QuantumFrame.count(buffer, offset));
            case QuantumFrame.FALLBACK ->
            {
                classical = true;
                LOG.warn("{}: verification alarm reported by {}; sending classically from now on", ledger.link(), peerName());
            }
            case QuantumFrame.ALARM -> fail(new QuantumLinkException(peerName(), peerName() +
                " aborted the quantum link " + ledger.link() + ": verification of its EPR pairs raised an alarm", null));
            default -> throw new IllegalStateException("unknown control message type " + QuantumFrame.type(buffer, offset));
        }
    }

    private void onAck(final long sequence)
    {
        lock.lock();
        try
        {
            if (sequence < acknowledgedThrough || sequence >= nextSequence)
            {
                throw new IllegalStateException("acknowledgement of quantum frames through " + sequence +
                    " but frames " + acknowledgedThrough + " to " + (nextSequence - 1) + " are outstanding");
            }
            for (long s = acknowledgedThrough; s <= sequence; s++)
            {
                spare.push(outstanding.remove(s));
            }
            acknowledgedThrough = sequence + 1;
            awaitingAcknowledgement = !outstanding.isEmpty();
            acknowledged.signalAll();
        }
        finally
        {
            lock.unlock();
        }
    }

    private void repair(final long sequence, final DirectBuffer indices, final int indicesOffset, final int count)
    {
        lock.lock();
        try
        {
            final PendingMessage pending = outstanding.get(sequence);
            if (pending == null)
            {
                throw new IllegalStateException("repair request for unknown quantum frame " + sequence);
            }
            final UnsafeBuffer sent = pending.frame;
            final int length = pending.length;
            final int blockLength = pending.blockLength;
            final int blocks = QuantumFrame.blockCount(length, blockLength);
            if (pending.repairs++ == 0)
            {
                adaptBlockLength(count, blocks, blockLength);
            }
            final int sentBody = QuantumFrame.dataOverhead(blocks);
            final boolean sentRaw = QuantumFrame.isClassical(sent, 0);
            final boolean raw = classical;
            QuantumFrame.writeHeader(repairFrame, QuantumFrame.REPAIR, raw ? QuantumFrame.FLAG_CLASSICAL : 0, count, sequence);
            int gatheredLength = 0;
            for (int i = 0; i < count; i++)
            {
                final int block = indices.getInt(indicesOffset + 4 * i, QuantumFrame.ORDER);
                if (block < 0 || block >= blocks)
                {
                    throw new IllegalStateException("repair request for block " + block + " of a frame with " + blocks + " blocks");
                }
                repairFrame.putInt(QuantumFrame.REPAIR_INDICES_OFFSET + 4 * i, block, QuantumFrame.ORDER);
                final int from = block * blockLength;
                final int blockBytes = Math.min(blockLength, length - from);
                if (sentRaw)
                {
                    gathered.putBytes(gatheredLength, sent, sentBody + from, blockBytes);
                }
                else
                {
                    encoder.recover(sent, sentBody, from, blockBytes, gathered, gatheredLength);
                }
                gatheredLength += blockBytes;
            }
            final int overhead = QuantumFrame.REPAIR_INDICES_OFFSET + 4 * count;
            final int body;
            if (raw)
            {
                repairFrame.putBytes(overhead, gathered, 0, gatheredLength);
                ledger.add(LedgerCounter.FALLBACK_CLASSICAL_BITS, 8L * gatheredLength);
                body = gatheredLength;
            }
            else
            {
                body = encoder.encodeRetransmission(gathered, 0, gatheredLength, repairFrame, overhead);
            }
            delegate.send(repairFrame, 0, overhead + body, System.nanoTime() + REPAIR_SEND_TIMEOUT_NS);
            ledger.add(LedgerCounter.ONLINE_CLASSICAL_BITS, QuantumFrame.TRANSPORT_HEADER_BITS + 8L * overhead);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Re-estimates the symbol error probability from the share of blocks that failed on first delivery,
     * 1 − (1 − p)^(4·blockLength) = failed / blocks, and sizes later frames' blocks for it (noise from
     * storage, an eavesdropper or a changed channel is only seen this way).
     */
    private void adaptBlockLength(final int failed, final int blocks, final int sentBlockLength)
    {
        if (!adaptiveBlocks || blocks == 0)
        {
            return;
        }
        final double failedShare = Math.min((double)failed / blocks, 1 - 1e-9);
        final double pairsPerBlock = 4.0 * Math.min(sentBlockLength, maxMessageLength);
        final double symbolError = 1 - Math.pow(1 - failedShare, 1 / pairsPerBlock);
        final int adapted = Math.max(minBlockLength, QuantumLinkSettings.blockLengthFor(symbolError));
        if (adapted < blockLength)
        {
            LOG.debug("{}: {} of {} blocks failed, estimated symbol error {}; blocks of {} bytes from now on",
                ledger.link(), failed, blocks, symbolError, adapted);
            blockLength = adapted;
        }
    }

    private void fail(final LinkException ex)
    {
        lock.lock();
        try
        {
            if (failure == null)
            {
                failure = ex;
            }
            acknowledged.signalAll();
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * A sent frame kept, as it went on the wire, until the receiver acknowledges it; failed blocks are
     * recovered from it ({@link SuperdenseEncoder#recover}) and resent on fresh pairs.
     */
    private static final class PendingMessage
    {
        private final UnsafeBuffer frame;
        private int length;
        private int blockLength;
        private int repairs;

        private PendingMessage(final int frameCapacity)
        {
            this.frame = new UnsafeBuffer(new byte[frameCapacity]);
        }
    }
}
