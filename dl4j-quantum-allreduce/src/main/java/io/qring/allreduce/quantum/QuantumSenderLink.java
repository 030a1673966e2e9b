package io.qring.allreduce.quantum;

import io.qring.allreduce.link.AuthenticatedLink;
import io.qring.allreduce.link.DelegatingLink;
import io.qring.allreduce.link.Link;
import io.qring.allreduce.link.LinkClosedException;
import io.qring.allreduce.link.LinkException;
import io.qring.allreduce.link.LinkTimeoutException;
import io.qring.allreduce.link.MessageHandler;
import io.qring.allreduce.link.PeerFailedException;
import io.qring.channel.codec.SuperdenseEncoder;
import io.qring.channel.codec.SuperdenseFrameHeader;
import io.qring.channel.epr.EprPool;
import io.qring.channel.frame.PauliFrame;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LinkLedger;
import io.qring.channel.verify.QberVerifier;
import io.qring.channel.verify.VerificationResult;
import org.agrona.DirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The sending end of a quantum link (decorates a rank's link to its next neighbour). Each message is
 * superdense-coded over the link's EPR pool, with one CRC-32C per block sent as classical bits. The
 * sender keeps each frame, as it went on the wire, until the receiver acknowledges it; a control thread
 * reads acknowledgements and repair requests from the reverse direction, recovers just the failed
 * blocks from the kept frame and resends them on fresh pairs.
 * <p>
 * The sender verifies every batch its pool distributes, from the same announced outcomes as the
 * receiver, and reserves each frame's pairs before it codes the frame, so no payload rides pairs that
 * failed verification. Under {@link AlarmPolicy#FALLBACK_CLASSICAL} the first frame coded after a batch
 * fails, and every frame after it, data or repair, travel as classical bits; under
 * {@link AlarmPolicy#ABORT} each goes as an {@link QuantumFrame#ALARM} frame instead, which the
 * receiver, reaching the same verdict at the same frame, answers by failing the link.
 * <p>
 * One lock keeps the engine's sends and the control thread's repairs from interleaving on the
 * transport (and their pairs in the order the receiver takes them). A send never waits past its
 * caller's deadline, for the lock included, and waits for acknowledgements without holding it; a
 * repair waits at most {@link QuantumLinkSettings#controlTimeoutNs()}, and one that misses it fails the
 * link with the transport's error, which the next send throws. A data frame the transport does not
 * take fails the link the same way (its pairs are spent), and a malformed control message fails it
 * with a {@link QuantumLinkException} naming the peer.
 */
final class QuantumSenderLink extends DelegatingLink
{
    /** How long the control thread waits for one control message before checking whether it should stop. */
    static final long CONTROL_POLL_NS = TimeUnit.MILLISECONDS.toNanos(50);
    /** Control polls closing gives the control thread to stop before it closes the transport link under it. */
    private static final int CLOSE_GRACE_POLLS = 4;
    private static final long NO_REPAIR = -1;

    /**
     * A message's blocks are re-split on its first repair request and then after every this many
     * rounds at one length, judged by the share of the last resent blocks that failed again: blocks
     * sized for the noise fail four rounds running rarely (under 1 % of failing blocks), while blocks far
     * too long for it (pairs stored longer than the last collective's) fail nearly every round.
     */
    private static final int RESPLIT_ROUNDS = 4;
    private static final Logger LOG = LoggerFactory.getLogger(QuantumSenderLink.class);

    private final QuantumLinkSettings settings;
    private final LinkLedger ledger;
    private final EprPool pool;
    private final SuperdenseEncoder encoder;
    private final int maxMessageLength;
    private final BlockChecksums checksums = new BlockChecksums();
    private final UnsafeBuffer repairFrame;
    private final UnsafeBuffer alarmFrame = new UnsafeBuffer(new byte[QuantumFrame.HEADER_LENGTH]);
    private final UnsafeBuffer gathered;
    /** Blocks a repair request names, to reject one that names a block twice. */
    private final BitSet requested;
    private final ReentrantLock lock = new ReentrantLock();
    private final Long2ObjectHashMap<PendingMessage> outstanding = new Long2ObjectHashMap<>();
    private final ArrayDeque<PendingMessage> spare = new ArrayDeque<>();
    private final Thread controlThread;
    private final MessageHandler controlHandler = this::onControl;
    private final AtomicReference<LinkException> failure = new AtomicReference<>();
    private final BlockLengthAdaptation blockLengths;
    private final RejectedFrameTally rejectedFrameTally;
    private long nextSequence;
    private long acknowledgedThrough;
    private volatile boolean classical;
    /** The alarm under the abort policy after which frames go as {@link QuantumFrame#ALARM} frames; {@code null} before one. */
    private volatile VerificationResult abortAlarm;
    private volatile boolean closing;
    private volatile boolean awaitingAcknowledgement;
    private volatile Thread acknowledgementWaiter;
    /** Blocks the repair in flight answers, and the blocks it re-splits the message into (0: it resends them). */
    private int repairBlocks;
    private int repairNewBlocks;
    private long repairStartedNs;
    private volatile long repairSequence = NO_REPAIR;

    QuantumSenderLink(final Link delegate, final QuantumLinkSettings settings, final int selfRank, final int nextRank)
    {
        super(delegate);
        this.settings = settings;
        final String name = LinkLedger.linkName(selfRank, nextRank);
        this.ledger = new LinkLedger(name);
        this.pool = QuantumLinkWrapper.pool(settings, EprPool.Side.SENDER, selfRank, nextRank, ledger,
            new QberVerifier(settings.verification(), this::onVerification));
        this.encoder = new SuperdenseEncoder(pool);
        this.maxMessageLength = QuantumLinkWrapper.maxPayload(delegate.maxMessageLength(), settings, selfRank, nextRank);
        this.blockLengths = new BlockLengthAdaptation(name, settings.blockLength(selfRank, nextRank), settings.isBlockLengthAdaptive(),
            QuantumLinkWrapper.minBlockLength(delegate.maxMessageLength(), maxMessageLength));
        this.repairFrame = new UnsafeBuffer(new byte[delegate.maxMessageLength()]);
        this.gathered = new UnsafeBuffer(new byte[maxMessageLength]);
        this.requested = new BitSet(QuantumFrame.blockCount(maxMessageLength, blockLengths.minBlockLength()));
        ledger.capacityBitsPerQubit(settings.linkChannel(selfRank, nextRank).denseCodingCapacity());
        this.rejectedFrameTally = new RejectedFrameTally(delegate.ledger(), ledger);
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

    /**
     * Messages the window lets through unreceived (the receiver acknowledges every
     * {@link QuantumLinkSettings#acknowledgeEvery()} deliveries, so up to that many less one delivered
     * messages still count against the window), and what the transport takes of their frames, the
     * checksums of the shortest blocks included, less one: an undelivered message has at most one frame on
     * the transport (its data, or its one pending repair, never longer), and the one spare is slack.
     */
    @Override
    public int maxUnreceivedMessages(final int length)
    {
        final int window = settings.window() - settings.acknowledgeEvery() + 1;
        final int frameLength = QuantumFrame.dataOverhead(QuantumFrame.blockCount(length, blockLengths.minBlockLength())) +
            SuperdenseFrameHeader.LENGTH + length;
        return Math.max(1, Math.min(window, delegate.maxUnreceivedMessages(frameLength) - 1));
    }

    /**
     * Ends a collective: waits until the receiver has acknowledged every message (its flush, which the
     * ring engine runs before this one on every rank, acknowledges the last ones), then runs the
     * offline phase, topping the pool up to capacity so the next collective's pairs are distributed
     * before it starts (and stored until it uses them); a link that has fallen back to classical bits
     * distributes no more pairs. Messages sent from now on use blocks sized for
     * the noise the messages sent so far met (see {@link BlockLengthAdaptation}).
     *
     * <p>Waiting for the acknowledgements keeps every repair inside the collective that needed it: the
     * pool is topped up after the same pairs in every run, whatever the thread timing, so the EPR
     * pairs distributed and sacrificed, like every other counter of the ledger, follow from the seed
     * (but for a fallback from a batch that fails mid-collective, see {@link AlarmPolicy#FALLBACK_CLASSICAL}).
     *
     * @throws LinkTimeoutException if the receiver has not acknowledged everything by the earlier of the
     *                              deadline and the control timeout.
     * @throws QuantumLinkException if a batch failed verification under {@link AlarmPolicy#ABORT} during
     *                              the collective.
     */
    @Override
    public void flush(final long deadlineNanos)
    {
        throwIfFailed();
        final long controlDeadlineNs = System.nanoTime() + settings.controlTimeoutNs();
        if (!awaitDrained(deadlineNanos - controlDeadlineNs < 0 ? deadlineNanos : controlDeadlineNs))
        {
            throwIfFailed();
            throw new LinkTimeoutException(peerName(), "quantum link " + ledger.link() + ": " +
                (Thread.currentThread().isInterrupted() ? "interrupted while waiting for " + peerName() + " to acknowledge" :
                peerName() + " did not acknowledge") + " every message of the collective within the collective's deadline or the" +
                " control timeout of " + TimeUnit.NANOSECONDS.toMillis(settings.controlTimeoutNs()) + " ms");
        }
        throwIfFailed();
        final VerificationResult alarm = abortAlarm;
        if (null != alarm)
        {
            final QuantumLinkException aborted = QuantumLinkException.verificationAlarm(peerName(), ledger.link(), alarm,
                " (nothing was coded on its pairs)");
            fail(aborted);
            throw aborted;
        }
        lock.lock();
        try
        {
            blockLengths.adapt();
        }
        finally
        {
            lock.unlock();
        }
        if (!classical)
        {
            pool.refill();
        }
        super.flush(deadlineNanos);
    }

    @Override
    public void send(final DirectBuffer buffer, final int offset, final int length, final long deadlineNanos)
    {
        if (length < 0 || length > maxMessageLength)
        {
            throw new IllegalArgumentException("message of " + length + " bytes to " + peerName() +
                " outside [0, " + maxMessageLength + "] of the quantum link");
        }
        lockWithRoomInWindow(deadlineNanos, length);
        try
        {
            reservePairs(length);
            if (null != abortAlarm)
            {
                sendAlarm(nextSequence, length, deadlineNanos);
                return;
            }
            final PendingMessage pending = spare.isEmpty() ? new PendingMessage(delegate.maxMessageLength()) : spare.poll();
            final long sequence = nextSequence;
            final int blockLength = blockLengths.blockLength();
            pending.length = length;
            pending.blockLength = blockLength;
            pending.repairs = 0;
            pending.answered = false;
            pending.bodyOffset = QuantumFrame.dataOverhead(QuantumFrame.blockCount(length, blockLength));
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
                blockLengths.onFirstTransmission(blocks, length);
            }
            nextSequence++;
            outstanding.put(sequence, pending); // only once encoded: a pool that cannot supply the pairs changes nothing
            if (!awaitingAcknowledgement)
            {
                awaitingAcknowledgement = true;
                LockSupport.unpark(controlThread);
            }
            sendData(sequence, sent, overhead + body, deadlineNanos);

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

    /**
     * Makes sure the pool holds the pairs a frame of {@code length} payload bytes would take, so that a
     * batch distributed for it is verified before the frame is coded; nothing once an alarm was raised.
     */
    private void reservePairs(final int length)
    {
        if (!classical && null == abortAlarm)
        {
            pool.reserve((long)length * PauliFrame.PAIRS_PER_BYTE);
        }
    }

    /** Told about every batch the pool distributes, before any of its pairs carry data. */
    private void onVerification(final VerificationResult result)
    {
        if (!result.alarm() || classical || null != abortAlarm)
        {
            return;
        }
        if (settings.alarmPolicy() == AlarmPolicy.ABORT)
        {
            abortAlarm = result;
            LOG.info("{}: verification of round {} raised an alarm (QBER {} over {} pairs); no more frames are coded, the receiver" +
                " aborts", ledger.link(), result.round(), result.qber(), result.sampledPairs());
        }
        else
        {
            classical = true;
            LOG.info("{}: verification of round {} raised an alarm (QBER {} over {} pairs); sending classically from now on",
                ledger.link(), result.round(), result.qber(), result.sampledPairs());
        }
    }

    /**
     * Under the abort policy, once a batch has failed: in place of the frame of {@code payloadBytes} that
     * would be coded on its pairs, a header announcing the alarm, which the receiver, reaching the same
     * verdict when it reserves that many pairs, answers by failing the link. The send returns as a data
     * send would, so the ring learns of the failure from the receiver first; this end's {@link #flush}
     * fails the collective in any case.
     */
    private void sendAlarm(final long sequence, final int payloadBytes, final long deadlineNanos)
    {
        QuantumFrame.writeHeader(alarmFrame, QuantumFrame.ALARM, (byte)0, payloadBytes, sequence);
        try
        {
            delegate.send(alarmFrame, 0, QuantumFrame.HEADER_LENGTH, deadlineNanos);
        }
        catch (final LinkException ex)
        {
            fail(ex.withContext("quantum link " + ledger.link() + ": announcing the verification alarm of round " +
                abortAlarm.round() + " to " + peerName()));
            throw ex;
        }
        catch (final RuntimeException ex)
        {
            fail(new QuantumLinkException(peerName(), "quantum link " + ledger.link() + ": announcing the verification alarm of round " +
                abortAlarm.round() + " to " + peerName() + " failed: " + ex, ex));
            throw ex;
        }
        ledger.add(LedgerCounter.ONLINE_CLASSICAL_BITS, QuantumFrame.TRANSPORT_HEADER_BITS + 8L * QuantumFrame.HEADER_LENGTH);
    }

    /**
     * Hands a data frame to the transport. Its pairs are taken and it awaits acknowledgement, so if the
     * transport does not take it the two ends' pools are out of step: the link fails with the
     * transport's error, which this and every later send throw.
     */
    private void sendData(final long sequence, final UnsafeBuffer frame, final int length, final long deadlineNanos)
    {
        try
        {
            delegate.send(frame, 0, length, deadlineNanos);
        }
        catch (final LinkException ex)
        {
            fail(ex.withContext("quantum link " + ledger.link() + ": sending frame " + sequence + " to " + peerName() +
                " (its EPR pairs are spent, so the link is out of step)"));
            throw ex;
        }
        catch (final RuntimeException ex)
        {
            fail(new QuantumLinkException(peerName(), "quantum link " + ledger.link() + ": sending frame " + sequence + " to " +
                peerName() + " failed (its EPR pairs are spent, so the link is out of step): " + ex, ex));
            throw ex;
        }
    }

    /**
     * The peer's abort reason as the control thread read it; otherwise, once a failure has stopped the
     * control thread, read on from where it left off (it reads only while frames await acknowledgement,
     * so an abort can arrive unread). A link that has not failed has nothing to look for.
     */
    @Override
    public String awaitPeerAbortReason(final long deadlineNanos)
    {
        if (null == failure.get())
        {
            return null;
        }
        final boolean stopped = awaitControlThread(deadlineNanos - System.nanoTime());
        if (Thread.currentThread().isInterrupted())
        {
            return null;
        }
        if (failure.get() instanceof PeerFailedException peerFailed && null != peerFailed.abortReason())
        {
            return peerFailed.abortReason();
        }
        if (!stopped)
        {
            return null;
        }
        try
        {
            return delegate.awaitPeerAbortReason(deadlineNanos);
        }
        finally
        {
            rejectedFrameTally.carry();
        }
    }

    @Override
    public void receive(final MessageHandler handler, final long deadlineNanos)
    {
        throw new IllegalStateException("the quantum link to " + peerName() + " only sends data; its control thread reads the reverse direction");
    }

    /**
     * Marks the link failed, so its control thread stops and closing does not wait for
     * acknowledgements, then tells the peer. The abort goes out under the send lock, so it never
     * interleaves with a repair frame on the transport; if a repair keeps the lock for longer than an
     * abort may take ({@link AuthenticatedLink#ABORT_SEND_TIMEOUT_NS}), the transport is not taking
     * frames and the peer is not told.
     */
    @Override
    public void abort(final String reason)
    {
        failure.compareAndSet(null,
            new LinkClosedException(peerName(), "quantum link to " + peerName() + " was aborted: " + reason));
        boolean locked = false;
        try
        {
            locked = lock.tryLock(AuthenticatedLink.ABORT_SEND_TIMEOUT_NS, TimeUnit.NANOSECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        if (!locked)
        {
            LOG.debug("{}: not telling {} about the abort: {}", ledger.link(), peerName(), lockHolder());
            return;
        }
        try
        {
            delegate.abort(reason);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Waits, up to {@link QuantumLinkSettings#controlTimeoutNs()}, until the receiver has acknowledged
     * every frame (a neighbour still inside its last collective may need blocks resent) unless the link
     * has failed, then stops the control thread and closes the transport link. The control thread has
     * ended when this returns: one still blocked in a repair's send after {@value #CLOSE_GRACE_POLLS}
     * polls gets the closed transport's error at its next attempt, and closing waits for that, up to the
     * control timeout, so no thread of the link outlives the transport (and an Aeron client closed next).
     */
    @Override
    public void close()
    {
        if (failure.get() == null && !closing && !awaitDrained(System.nanoTime() + settings.controlTimeoutNs()))
        {
            LOG.warn("{}: closing with frames to {} unacknowledged", ledger.link(), peerName());
        }
        closing = true;
        LockSupport.unpark(controlThread);
        awaitControlThread(CLOSE_GRACE_POLLS * CONTROL_POLL_NS);
        super.close();
        if (!awaitControlThread(settings.controlTimeoutNs()))
        {
            LOG.warn("{}: control thread still running {} ms after its transport link was closed", ledger.link(),
                TimeUnit.NANOSECONDS.toMillis(settings.controlTimeoutNs()));
        }
    }

    /** Waits for the control thread to end, up to the timeout even if interrupted (the interrupt is kept). */
    private boolean awaitControlThread(final long timeoutNs)
    {
        final long deadlineNs = System.nanoTime() + timeoutNs;
        boolean interrupted = false;
        long remainingNs = timeoutNs;
        while (controlThread.isAlive() && remainingNs > 0)
        {
            try
            {
                controlThread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(remainingNs)));
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
            remainingNs = deadlineNs - System.nanoTime();
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
        return !controlThread.isAlive();
    }

    /**
     * Waits until the receiver has acknowledged every message sent, the link fails, or the deadline.
     *
     * @return false if messages were still unacknowledged at the deadline or on an interrupt.
     */
    private boolean awaitDrained(final long deadlineNanos)
    {
        acknowledgementWaiter = Thread.currentThread();
        try
        {
            while (awaitingAcknowledgement && failure.get() == null)
            {
                final long remaining = deadlineNanos - System.nanoTime();
                if (remaining <= 0 || Thread.currentThread().isInterrupted())
                {
                    return false;
                }
                LockSupport.parkNanos(this, remaining);
            }
            return true;
        }
        finally
        {
            acknowledgementWaiter = null;
        }
    }

    /**
     * Returns holding the send lock with room in the window, or throws by the caller's deadline. It
     * waits for acknowledgements without the lock, parked, rather than on a condition, whose wait takes
     * the lock back without a deadline: a repair the control thread is stuck on would hold it.
     */
    private void lockWithRoomInWindow(final long deadlineNanos, final int length)
    {
        final long start = System.nanoTime();
        throwIfFailed();
        acknowledgementWaiter = Thread.currentThread();
        try
        {
            while (true)
            {
                lockBefore(deadlineNanos, length, start);
                final int unacknowledged = outstanding.size();
                if (unacknowledged < settings.window() && failure.get() == null)
                {
                    return;
                }
                lock.unlock();
                throwIfFailed();
                final long now = System.nanoTime();
                if (now - deadlineNanos >= 0)
                {
                    throw new LinkTimeoutException(peerName(), "timed out after " + TimeUnit.NANOSECONDS.toMillis(now - start) +
                        " ms waiting for " + peerName() + " to acknowledge " + unacknowledged + " quantum frames (window " +
                        settings.window() + ")");
                }
                LockSupport.parkNanos(this, deadlineNanos - now);
            }
        }
        finally
        {
            acknowledgementWaiter = null;
        }
    }

    /**
     * Takes the send lock by the caller's deadline; the control thread holds it while it resends
     * blocks, which a transport that stopped taking frames can make last the whole control timeout.
     */
    private void lockBefore(final long deadlineNanos, final int length, final long start)
    {
        try
        {
            if (lock.tryLock(deadlineNanos - System.nanoTime(), TimeUnit.NANOSECONDS))
            {
                return;
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new LinkTimeoutException(peerName(), "interrupted waiting to send a " + length + "-byte message to " +
                peerName() + " over quantum link " + ledger.link(), ex);
        }
        throw new LinkTimeoutException(peerName(), "timed out after " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) +
            " ms waiting to send a " + length + "-byte message to " + peerName() + " over quantum link " + ledger.link() +
            ": " + lockHolder());
    }

    /** @return what keeps the send lock, for error messages: a repair in flight, or the control thread. */
    private String lockHolder()
    {
        final long sequence = repairSequence;
        if (sequence == NO_REPAIR)
        {
            return "its control thread was handling a control message from " + peerName();
        }
        return "its control thread has been " + repairDescription(sequence) + " for " +
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - repairStartedNs) + " ms and the transport does not take it (is " +
            peerName() + " still reading?)";
    }

    private void throwIfFailed()
    {
        final LinkException failed = failure.get();
        if (failed != null)
        {
            throw failed.withContext("quantum link to " + peerName());
        }
    }

    /**
     * Reads control messages while frames await acknowledgement; with none outstanding (between
     * collectives, or a ring not in use) the thread parks until the next send wakes it, so an idle
     * link costs no CPU. A control message arriving meanwhile waits for the next send or poll.
     */
    private void controlLoop()
    {
        while (!closing && failure.get() == null)
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
            catch (final QuantumLinkException ex)
            {
                fail(ex);
                return;
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
            finally
            {
                rejectedFrameTally.carry();
            }
        }
    }

    private void onControl(final DirectBuffer buffer, final int offset, final int length)
    {
        rejectedFrameTally.carry();
        if (length < QuantumFrame.HEADER_LENGTH)
        {
            throw protocolError("control message of " + length + " bytes is shorter than its header");
        }
        final long sequence = QuantumFrame.sequence(buffer, offset);
        switch (QuantumFrame.type(buffer, offset))
        {
            case QuantumFrame.ACK -> onAck(sequence);
            case QuantumFrame.NACK -> repair(sequence, buffer, offset, length);
            case QuantumFrame.ALARM -> fail(new QuantumLinkException(peerName(), peerName() +
                " aborted the quantum link " + ledger.link() + ": verification of its EPR pairs raised an alarm", null));
            default -> throw protocolError("unknown control message type " + QuantumFrame.type(buffer, offset));
        }
    }

    private void onAck(final long sequence)
    {
        lock.lock();
        try
        {
            if (sequence < acknowledgedThrough || sequence >= nextSequence)
            {
                throw protocolError("acknowledgement of quantum frames through " + sequence +
                    " but frames " + acknowledgedThrough + " to " + (nextSequence - 1) + " are outstanding");
            }
            for (long s = acknowledgedThrough; s <= sequence; s++)
            {
                spare.push(outstanding.remove(s));
            }
            acknowledgedThrough = sequence + 1;
            awaitingAcknowledgement = !outstanding.isEmpty();
            LockSupport.unpark(acknowledgementWaiter);
        }
        finally
        {
            lock.unlock();
        }
    }

    private void repair(final long sequence, final DirectBuffer nack, final int nackOffset, final int nackLength)
    {
        lock.lock();
        try
        {
            final PendingMessage pending = outstanding.get(sequence);
            if (pending == null)
            {
                throw protocolError("repair request for frame " + sequence + ", which is not awaiting acknowledgement");
            }
            final UnsafeBuffer sent = pending.frame;
            final int length = pending.length;
            final int messageBlockLength = pending.blockLength;
            final int blocks = QuantumFrame.blockCount(length, messageBlockLength);
            final int count = QuantumFrame.count(nack, nackOffset);
            final int indicesOffset = nackOffset + QuantumFrame.HEADER_LENGTH;
            checkRepairRequest(sequence, nack, indicesOffset, nackLength, count, blocks);
            final boolean sentRaw = QuantumFrame.isClassical(sent, 0);
            if (!pending.answered && !sentRaw)
            {
                blockLengths.onFirstFailures(count);
            }
            pending.answered = true;
            final int round = pending.repairs++;
            if (round % RESPLIT_ROUNDS == 0)
            {
                final int blockBytes = Math.min(messageBlockLength, length);
                final int proposed = blockLengths.proposed(count, round == 0 ? blocks : pending.lastResent, blockBytes);
                if (!sentRaw && !classical && proposed <= blockBytes / 2 && QuantumFrame.blockCount(length, proposed) > blocks)
                {
                    reblock(sequence, pending, count, proposed);
                    return;
                }
            }
            final int sentBody = pending.bodyOffset;
            int gatheredLength = 0;
            for (int i = 0; i < count; i++)
            {
                final int block = nack.getInt(indicesOffset + 4 * i, QuantumFrame.ORDER);
                repairFrame.putInt(QuantumFrame.REPAIR_INDICES_OFFSET + 4 * i, block, QuantumFrame.ORDER);
                final int from = block * messageBlockLength;
                final int blockBytes = Math.min(messageBlockLength, length - from);
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
            reservePairs(gatheredLength);
            if (null != abortAlarm)
            {
                sendAlarm(sequence, gatheredLength, System.nanoTime() + settings.controlTimeoutNs());
                return;
            }
            final boolean raw = classical;
            QuantumFrame.writeHeader(repairFrame, QuantumFrame.REPAIR, raw ? QuantumFrame.FLAG_CLASSICAL : 0, count, sequence);
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
            pending.lastResent = count;
            if (sendRepair(sequence, count, 0, overhead + body))
            {
                ledger.add(LedgerCounter.ONLINE_CLASSICAL_BITS, QuantumFrame.TRANSPORT_HEADER_BITS + 8L * overhead);
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Checks a repair request before it changes anything: it names between one and all of the
     * message's blocks (at its current block length), each once and in range, and is exactly as long
     * as its indices.
     *
     * @throws QuantumLinkException naming the peer if it does not.
     */
    private void checkRepairRequest(
        final long sequence, final DirectBuffer nack, final int indicesOffset, final int nackLength, final int count, final int blocks)
    {
        if (count <= 0 || count > blocks)
        {
            throw protocolError("repair request for frame " + sequence + " names " + count + " blocks of a message of " + blocks);
        }
        if (nackLength != QuantumFrame.HEADER_LENGTH + 4 * count)
        {
            throw protocolError("repair request for frame " + sequence + " names " + count + " blocks in " + nackLength +
                " bytes instead of " + (QuantumFrame.HEADER_LENGTH + 4 * count));
        }
        requested.clear();
        for (int i = 0; i < count; i++)
        {
            final int block = nack.getInt(indicesOffset + 4 * i, QuantumFrame.ORDER);
            if (block < 0 || block >= blocks)
            {
                throw protocolError("repair request for frame " + sequence + " names block " + block + " of a message of " + blocks);
            }
            if (requested.get(block))
            {
                throw protocolError("repair request for frame " + sequence + " names block " + block + " twice");
            }
            requested.set(block);
        }
    }

    private QuantumLinkException protocolError(final String what)
    {
        return new QuantumLinkException(peerName(), "quantum link " + ledger.link() + " to " + peerName() + ": " + what, null);
    }

    /**
     * Splits a message's blocks into blocks of the link's current (adapted) length and sends the
     * receiver their checksums, computed over the payload recovered from the kept frame; the receiver
     * then asks for the new blocks that fail. Without it, a message sent in blocks sized for less noise
     * than the link has may fail every repair round: resent on fresh pairs, a long block meets errors
     * again (e.g. one block of 64 Ki pairs at a symbol error of 1 % survives with probability e^−655).
     */
    private void reblock(final long sequence, final PendingMessage pending, final int nackedBlocks, final int newBlockLength)
    {
        final int length = pending.length;
        final int blocks = QuantumFrame.blockCount(length, newBlockLength);
        encoder.recover(pending.frame, pending.bodyOffset, 0, length, gathered, 0);
        QuantumFrame.writeHeader(repairFrame, QuantumFrame.REBLOCK, (byte)0, blocks, sequence);
        repairFrame.putInt(QuantumFrame.BLOCK_LENGTH_OFFSET, newBlockLength, QuantumFrame.ORDER);
        for (int i = 0; i < blocks; i++)
        {
            repairFrame.putInt(QuantumFrame.DATA_CRCS_OFFSET + 4 * i, checksums.block(gathered.byteArray(), 0, length, newBlockLength, i),
                QuantumFrame.ORDER);
        }
        LOG.debug("{}: {} blocks of frame {} failed; splitting its {}-byte blocks into {} of {} bytes", ledger.link(), nackedBlocks,
            sequence, pending.blockLength, blocks, newBlockLength);
        pending.blockLength = newBlockLength;
        pending.repairs = 0;
        final int frameLength = QuantumFrame.dataOverhead(blocks);
        if (sendRepair(sequence, nackedBlocks, blocks, frameLength))
        {
            ledger.add(LedgerCounter.ONLINE_CLASSICAL_BITS, QuantumFrame.TRANSPORT_HEADER_BITS + 8L * frameLength);
        }
    }

    /**
     * Hands a repair frame to the transport within the control timeout; if it misses it, the link
     * fails with the transport's error (the receiver would wait for these blocks forever).
     *
     * @param sequence  the message repaired.
     * @param blocks    blocks the receiver asked for.
     * @param newBlocks blocks a REBLOCK frame re-splits the message into; 0 for a REPAIR frame.
     * @param length    bytes of the frame in {@link #repairFrame}.
     * @return whether the frame was sent.
     */
    private boolean sendRepair(final long sequence, final int blocks, final int newBlocks, final int length)
    {
        repairBlocks = blocks;
        repairNewBlocks = newBlocks;
        repairStartedNs = System.nanoTime();
        repairSequence = sequence;
        try
        {
            delegate.send(repairFrame, 0, length, repairStartedNs + settings.controlTimeoutNs());
            return true;
        }
        catch (final LinkException ex)
        {
            fail(ex.withContext("quantum link " + ledger.link() + ": " + repairDescription(sequence) + " to " + peerName() +
                " within the control timeout of " +
                TimeUnit.NANOSECONDS.toMillis(settings.controlTimeoutNs()) + " ms"));
            return false;
        }
        finally
        {
            repairSequence = NO_REPAIR;
        }
    }

    /** @return what the repair in flight for {@code sequence} sends, for error messages. */
    private String repairDescription(final long sequence)
    {
        return 0 == repairNewBlocks ? "resending " + repairBlocks + " corrupted blocks of frame " + sequence :
            "re-splitting frame " + sequence + " into " + repairNewBlocks + " blocks after " + repairBlocks + " failed";
    }

    /**
     * Records the link's first failure, which the next send throws, and wakes a send or close waiting
     * for acknowledgements.
     */
    private void fail(final LinkException ex)
    {
        failure.compareAndSet(null, ex);
        LockSupport.unpark(acknowledgementWaiter);
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
        /** Repair requests answered at the current block length. */
        private int repairs;
        /** Blocks the last repair resent. */
        private int lastResent;
        /** Whether a repair request for its first transmission arrived. */
        private boolean answered;
        /** Where the encoded payload starts in {@link #frame} (after the checksums of the blocks it was sent in). */
        private int bodyOffset;

        private PendingMessage(final int frameCapacity)
        {
            this.frame = new UnsafeBuffer(new byte[frameCapacity]);
        }
    }
}
