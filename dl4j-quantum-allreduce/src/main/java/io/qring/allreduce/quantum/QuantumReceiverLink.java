package io.qring.allreduce.quantum;

import io.qring.allreduce.link.DelegatingLink;
import io.qring.allreduce.link.Link;
import io.qring.allreduce.link.LinkException;
import io.qring.allreduce.link.MessageHandler;
import io.qring.channel.codec.SuperdenseDecoder;
import io.qring.channel.codec.SuperdenseFrameHeader;
import io.qring.channel.epr.EprPool;
import io.qring.channel.epr.EprShares;
import io.qring.channel.frame.PauliFrame;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LinkLedger;
import io.qring.channel.noise.PauliChannel;
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

/**
 * The receiving end of a quantum link (decorates a rank's link to its previous neighbour). Frames are
 * decoded as they arrive, in the order their pairs were taken; each block's CRC-32C is checked and
 * failed blocks are requested again until every block's holds, so a message is handed to the engine
 * only when it is exactly what was sent. Verification of every distributed batch runs here, and each
 * frame's pairs are reserved before it is decoded, as the sender reserved them before coding it. The
 * sender verifies the same batches, so it codes nothing on pairs that failed: under
 * {@link AlarmPolicy#ABORT} it sends an {@link QuantumFrame#ALARM} frame in that frame's place, and the
 * receiver fails the link there and tells the sender; under {@link AlarmPolicy#FALLBACK_CLASSICAL} it
 * sends that frame and every later one classically. A frame that comes otherwise is a protocol error. Delivered
 * messages are acknowledged cumulatively, every half window and on {@link #flush(long)}; completed ones
 * on closing.
 * <p>
 * Acknowledgements and repair requests go back on the caller's thread: within a receive or a flush by
 * the earlier of its deadline and {@link QuantumLinkSettings#controlTimeoutNs()}, on closing within the
 * control timeout. One that misses its deadline fails the link (the sender would wait for it
 * forever), and every later receive throws that failure. So does a frame that breaks the protocol
 * (a {@link QuantumLinkException}, whatever part of the frame the codec or the pool refused) and a
 * message still corrupted after {@link QuantumLinkSettings#maxRepairRounds()} repair rounds.
 */
final class QuantumReceiverLink extends DelegatingLink
{
    private static final Logger LOG = LoggerFactory.getLogger(QuantumReceiverLink.class);
    /** Most block indices one repair request carries. */
    private static final int MAX_NACK_BLOCKS = 1 << 20;

    private final QuantumLinkSettings settings;
    /** Distribution channel of this link's pairs, an eavesdropper's disturbance included. */
    private final PauliChannel distributionChannel;
    private final LinkLedger ledger;
    private final SuperdenseDecoder decoder;
    private final int maxMessageLength;
    private final BlockChecksums checksums = new BlockChecksums();
    private final Long2ObjectHashMap<Assembly> assemblies = new Long2ObjectHashMap<>();
    private final ArrayDeque<Assembly> spare = new ArrayDeque<>();
    private final UnsafeBuffer control;
    private final UnsafeBuffer scratch;
    private final UnsafeBuffer wireCopy;
    private final UnsafeBuffer wireView = new UnsafeBuffer(new byte[0]);
    private final UnsafeBuffer assemblyView = new UnsafeBuffer();
    private final SuperdenseFrameHeader wireHeader = new SuperdenseFrameHeader();
    /** Blocks a repair frame carries, to reject one that carries a block twice. */
    private final BitSet repaired = new BitSet();
    private final RejectedFrameTally rejectedFrameTally;
    private final MessageHandler frameHandler = this::onFrame;
    private long deliverSequence;
    private final int acknowledgeEvery;
    private long acknowledgedThrough = -1;
    private long expectedDataSequence;
    /** An alarm under the abort policy, applied at the next frame. */
    private VerificationResult pendingAlarm;
    /** The alarm under the fallback policy after which every frame comes classically; {@code null} before one. */
    private VerificationResult fallbackAlarm;
    private long callerDeadlineNs;
    private LinkException failure;

    QuantumReceiverLink(final Link delegate, final QuantumLinkSettings settings, final int previousRank, final int selfRank)
    {
        super(delegate);
        this.settings = settings;
        this.distributionChannel = settings.distributionChannel(previousRank, selfRank);
        this.acknowledgeEvery = settings.acknowledgeEvery();
        this.ledger = new LinkLedger(LinkLedger.linkName(previousRank, selfRank));
        final QberVerifier verifier = new QberVerifier(settings.verification(), this::onVerification);
        final EprPool pool = QuantumLinkWrapper.pool(settings, EprPool.Side.RECEIVER, previousRank, selfRank, ledger, verifier);
        this.decoder = new SuperdenseDecoder(pool, settings.onlineChannel());
        this.maxMessageLength = QuantumLinkWrapper.maxPayload(delegate.maxMessageLength(), settings, previousRank, selfRank);
        final int maxBlocks = QuantumFrame.blockCount(maxMessageLength,
            QuantumLinkWrapper.minBlockLength(delegate.maxMessageLength(), maxMessageLength));
        this.control = new UnsafeBuffer(new byte[QuantumFrame.HEADER_LENGTH + 4 * Math.min(maxBlocks, MAX_NACK_BLOCKS)]);
        this.scratch = new UnsafeBuffer(new byte[maxMessageLength]);
        this.wireCopy = new UnsafeBuffer(new byte[delegate.maxMessageLength()]);
        this.rejectedFrameTally = new RejectedFrameTally(delegate.ledger(), ledger);
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
     * Acknowledges what completed and is not yet acknowledged (best effort, unless the link failed),
     * then closes the transport link.
     */
    @Override
    public void close()
    {
        if (failure == null)
        {
            try
            {
                acknowledgeAll();
            }
            catch (final RuntimeException ex)
            {
                LOG.debug("{}: could not acknowledge the last messages from {} before closing", ledger.link(), peerName(), ex);
            }
        }
        super.close();
    }

    @Override
    public void send(final DirectBuffer buffer, final int offset, final int length, final long deadlineNanos)
    {
        throw new IllegalStateException("the quantum link from " + peerName() + " only receives data; it answers with control messages");
    }

    @Override
    public void receive(final MessageHandler handler, final long deadlineNanos)
    {
        throwIfFailed();
        callerDeadlineNs = deadlineNanos;
        while (true)
        {
            final Assembly ready = assemblies.get(deliverSequence);
            if (ready != null && ready.complete)
            {
                assemblies.remove(deliverSequence);
                deliverSequence++;
                acknowledgeDeliveredBatches();
                try
                {
                    assemblyView.wrap(ready.bytes, 0, ready.length);
                    handler.onMessage(assemblyView, 0, ready.length);
                }
                finally
                {
                    spare.push(ready);
                }
                return;
            }
            try
            {
                delegate.receive(frameHandler, deadlineNanos);
            }
            finally
            {
                rejectedFrameTally.carry();
            }
        }
    }

    /** Records an alarm before the user's listener hears of the round, so a listener that throws cannot lose it. */
    private void onVerification(final VerificationResult result)
    {
        if (result.alarm() && settings.alarmPolicy() == AlarmPolicy.ABORT)
        {
            pendingAlarm = result;
        }
        else if (result.alarm() && null == fallbackAlarm)
        {
            fallbackAlarm = result;
            LOG.warn("{}: verification of round {} raised an alarm (QBER {} over {} pairs); the link carries classical bits from now on",
                ledger.link(), result.round(), result.qber(), result.sampledPairs());
        }
        settings.verificationListener().accept(ledger.link(), result);
    }

    /**
     * Before a frame that carries {@code payloadBytes} is decoded: reserves its pairs, so a batch
     * distributed for it is verified first, as the sender's was before it coded the frame; then checks
     * the frame came as the verdicts so far say it must: not at all once a batch failed under the abort
     * policy (the sender announces the alarm instead), classically exactly once one failed under the
     * fallback policy.
     */
    private void checkCoding(final String frame, final int payloadBytes, final boolean classicalFrame)
    {
        reservePairs(payloadBytes);
        abortOnAlarm(frame);
        if (classicalFrame && null == fallbackAlarm)
        {
            throw protocolError(frame + " came as classical bits, but no verification of the link's pairs has raised an alarm");
        }
        if (!classicalFrame && null != fallbackAlarm)
        {
            throw protocolError(frame + " came superdense-coded after verification round " + fallbackAlarm.round() +
                " raised an alarm (its pairs must not carry data)");
        }
    }

    /**
     * Handles one frame from the sender. Whatever it throws fails the link for good (the two ends' pools
     * or the message's blocks may be out of step): a malformed frame the codec or the pool rejects is
     * the link's protocol error, a {@link QuantumLinkException}.
     */
    private void onFrame(final DirectBuffer buffer, final int offset, final int length)
    {
        rejectedFrameTally.carry();
        try
        {
            if (length < QuantumFrame.HEADER_LENGTH)
            {
                throw protocolError("frame of " + length + " bytes is shorter than the quantum frame header");
            }
            final long sequence = QuantumFrame.sequence(buffer, offset);
            switch (QuantumFrame.type(buffer, offset))
            {
                case QuantumFrame.DATA -> onData(sequence, buffer, offset, length);
                case QuantumFrame.REPAIR -> onRepair(sequence, buffer, offset, length);
                case QuantumFrame.REBLOCK -> onReblock(sequence, buffer, offset, length);
                case QuantumFrame.ALARM -> onAlarm(sequence, buffer, offset);
                default -> throw protocolError("unexpected quantum frame type " + QuantumFrame.type(buffer, offset));
            }
        }
        catch (final LinkException ex)
        {
            throw latch(ex);
        }
        catch (final RuntimeException ex)
        {
            throw latch(new QuantumLinkException(peerName(), "quantum link " + ledger.link() + " from " + peerName() +
                ": frame of " + length + " bytes could not be decoded: " + ex, ex));
        }
    }

    /** Records the link's first failure, which every later call throws. */
    private LinkException latch(final LinkException ex)
    {
        if (failure == null)
        {
            failure = ex;
        }
        return ex;
    }

    private void onData(final long sequence, final DirectBuffer buffer, final int offset, final int length)
    {
        if (sequence != expectedDataSequence)
        {
            throw protocolError("data frame " + sequence + " arrived where frame " + expectedDataSequence + " was due");
        }
        if (sequence - acknowledgedThrough > settings.window())
        {
            throw protocolError("data frame " + sequence + " arrived with the frames after " + acknowledgedThrough +
                " unacknowledged: more than the " + settings.window() + " messages a sender may have in flight (do both ends use the" +
                " same window?)");
        }
        final int payloadLength = QuantumFrame.count(buffer, offset);
        final int blockLength = buffer.getInt(offset + QuantumFrame.BLOCK_LENGTH_OFFSET, QuantumFrame.ORDER);
        if (payloadLength < 0 || payloadLength > maxMessageLength || blockLength <= 0)
        {
            throw protocolError("data frame " + sequence + " announces " + payloadLength + " bytes in blocks of " + blockLength);
        }
        final int blocks = QuantumFrame.blockCount(payloadLength, blockLength);
        final int bodyOffset = offset + QuantumFrame.dataOverhead(blocks);
        if (bodyOffset > offset + length)
        {
            throw protocolError("data frame " + sequence + " is truncated");
        }
        final boolean classicalFrame = QuantumFrame.isClassical(buffer, offset);
        checkCoding("data frame " + sequence, payloadLength, classicalFrame);
        expectedDataSequence++;
        final Assembly assembly = spare.isEmpty() ? new Assembly(maxMessageLength) : spare.poll();
        assembly.reset(payloadLength, blockLength, blocks, buffer, offset);
        assemblies.put(sequence, assembly);

        if (classicalFrame)
        {
            requireBody(sequence, length - (bodyOffset - offset), payloadLength);
            buffer.getBytes(bodyOffset, assembly.bytes, 0, payloadLength);
        }
        else
        {
            final int wireLength = length - (bodyOffset - offset);
            requireWire(buffer, bodyOffset, wireLength, payloadLength, "data frame " + sequence);
            assemblyView.wrap(assembly.bytes);
            decoder.decode(onHeap(buffer, bodyOffset, wireLength), 0, wireLength, assemblyView, 0, noiseKey(sequence, 0));
        }
        for (int i = 0; i < blocks; i++)
        {
            assembly.markIfBad(i, checksums);
        }
        answer(sequence, assembly);
    }

    /**
     * Makes sure the pool holds the pairs a frame of {@code payloadBytes} takes, verifying a batch
     * distributed for it, as the sender did before coding the frame; nothing once the link has fallen
     * back to classical bits.
     */
    private void reservePairs(final int payloadBytes)
    {
        if (null == fallbackAlarm)
        {
            decoder.pool().reserve((long)payloadBytes * PauliFrame.PAIRS_PER_BYTE);
        }
    }

    /**
     * The sender's word, under the abort policy, that the frame of {@code count} payload bytes it was
     * about to code would take pairs of a batch that failed verification: reserving as many pairs must
     * raise the same alarm here, which fails the link.
     */
    private void onAlarm(final long sequence, final DirectBuffer buffer, final int offset)
    {
        final int payloadBytes = QuantumFrame.count(buffer, offset);
        if (settings.alarmPolicy() != AlarmPolicy.ABORT || payloadBytes < 0 || payloadBytes > maxMessageLength)
        {
            throw protocolError("alarm frame for frame " + sequence + " announcing " + payloadBytes + " bytes under the " +
                settings.alarmPolicy() + " policy");
        }
        if (sequence != expectedDataSequence)
        {
            awaitingRepair(sequence, "alarm");
        }
        reservePairs(payloadBytes);
        abortOnAlarm(null);
        throw protocolError("alarm frame for frame " + sequence + " announces a verification alarm that this end's verification" +
            " of the same pairs did not raise");
    }

    private void onRepair(final long sequence, final DirectBuffer buffer, final int offset, final int length)
    {
        final Assembly assembly = awaitingRepair(sequence, "repair");
        final int count = QuantumFrame.count(buffer, offset);
        final int bodyOffset = offset + QuantumFrame.REPAIR_INDICES_OFFSET + 4 * count;
        if (count <= 0 || count > assembly.blocks || bodyOffset > offset + length)
        {
            throw protocolError("repair frame for frame " + sequence + " announces " + count + " blocks");
        }
        final int blocksLength = repairedBytes(sequence, assembly, buffer, offset, count);
        final int bodyLength = length - (bodyOffset - offset);
        final boolean classicalFrame = QuantumFrame.isClassical(buffer, offset);
        checkCoding("repair frame for frame " + sequence, blocksLength, classicalFrame);
        if (classicalFrame)
        {
            if (bodyLength != blocksLength)
            {
                throw protocolError("classical repair frame for frame " + sequence + " carries " + bodyLength + " bytes for " +
                    count + " blocks of " + blocksLength + " bytes");
            }
            buffer.getBytes(bodyOffset, scratch, 0, bodyLength);
        }
        else
        {
            requireWire(buffer, bodyOffset, bodyLength, blocksLength, "repair frame for frame " + sequence);
            decoder.decode(onHeap(buffer, bodyOffset, bodyLength), 0, bodyLength, scratch, 0,
                noiseKey(sequence, assembly.repairRounds + 1));
        }
        int from = 0;
        for (int i = 0; i < count; i++)
        {
            final int block = buffer.getInt(offset + QuantumFrame.REPAIR_INDICES_OFFSET + 4 * i, QuantumFrame.ORDER);
            final int blockBytes = assembly.blockBytes(block);
            scratch.getBytes(from, assembly.bytes, block * assembly.blockLength, blockBytes);
            from += blockBytes;
            assembly.bad.clear(block);
            assembly.markIfBad(block, checksums);
        }
        endRepairRound(sequence, assembly);
    }

    /**
     * Checks the block indices of a repair frame: each in range and named once.
     *
     * @return the bytes of the blocks the frame carries.
     */
    private int repairedBytes(final long sequence, final Assembly assembly, final DirectBuffer buffer, final int offset, final int count)
    {
        repaired.clear();
        int bytes = 0;
        for (int i = 0; i < count; i++)
        {
            final int block = buffer.getInt(offset + QuantumFrame.REPAIR_INDICES_OFFSET + 4 * i, QuantumFrame.ORDER);
            if (block < 0 || block >= assembly.blocks || repaired.get(block))
            {
                throw protocolError("repair frame for frame " + sequence + " carries block " + block + " of " + assembly.blocks +
                    (block >= 0 && block < assembly.blocks ? " twice" : ""));
            }
            repaired.set(block);
            bytes += assembly.blockBytes(block);
        }
        return bytes;
    }

    /**
     * Checks, before any pair is taken, that a superdense wire frame carries exactly the payload bytes
     * the quantum frame around it announces: its header's payload length and its symbols.
     */
    private void requireWire(
        final DirectBuffer buffer, final int wireOffset, final int wireLength, final int payloadLength, final String frame)
    {
        final int announced = wireLength < SuperdenseFrameHeader.LENGTH ? -1 :
            wireHeader.wrap(buffer, wireOffset).payloadLength();
        if (announced != payloadLength || wireLength != SuperdenseFrameHeader.LENGTH + payloadLength)
        {
            throw protocolError(frame + " announces " + payloadLength + " payload bytes but its " + wireLength +
                "-byte superdense frame " + (announced < 0 ? "has no header" : "announces " + announced));
        }
    }

    /** The sender split the message's blocks: check what is held against the new checksums. */
    private void onReblock(final long sequence, final DirectBuffer buffer, final int offset, final int length)
    {
        final Assembly assembly = awaitingRepair(sequence, "reblock");
        final int blocks = QuantumFrame.count(buffer, offset);
        final int blockLength = length < QuantumFrame.DATA_CRCS_OFFSET ? 0 :
            buffer.getInt(offset + QuantumFrame.BLOCK_LENGTH_OFFSET, QuantumFrame.ORDER);
        if (blockLength <= 0 || blocks != QuantumFrame.blockCount(assembly.length, blockLength) ||
            QuantumFrame.dataOverhead(blocks) != length)
        {
            throw protocolError("reblock frame for frame " + sequence + " announces " + blocks + " blocks of " + blockLength +
                " bytes for a " + assembly.length + "-byte payload in " + length + " bytes");
        }
        assembly.relayout(blockLength, blocks, buffer, offset + QuantumFrame.DATA_CRCS_OFFSET);
        for (int i = 0; i < blocks; i++)
        {
            assembly.markIfBad(i, checksums);
        }
        endRepairRound(sequence, assembly);
    }

    /**
     * The key a transmission's errors are drawn from: the message and which of its rounds this is (0 for
     * the data frame). Repairs of one message and new messages reach the decoder in an order that
     * depends on thread timing; keyed by the transmission, every one meets the same errors in every run.
     */
    private static long noiseKey(final long sequence, final int round)
    {
        return EprShares.mix64(sequence) + round;
    }

    /** @return the message a repair or reblock frame refers to, which must still have corrupted blocks. */
    private Assembly awaitingRepair(final long sequence, final String frameType)
    {
        final Assembly assembly = assemblies.get(sequence);
        if (assembly == null || assembly.complete)
        {
            throw protocolError(frameType + " frame for frame " + sequence + ", which is not awaiting repair");
        }
        return assembly;
    }

    private void endRepairRound(final long sequence, final Assembly assembly)
    {
        assembly.repairRounds++;
        if (!assembly.bad.isEmpty() && assembly.repairRounds >= settings.maxRepairRounds())
        {
            throw new QuantumLinkException(peerName(), "frame " + sequence + " from " + peerName() + " still has " +
                assembly.bad.cardinality() + " corrupted blocks after " + assembly.repairRounds +
                " repair rounds; the link's noise is beyond what it can correct (distribution " + distributionChannel +
                ", online " + settings.onlineChannel() + (settings.hasMemory() ? ", T1 " + settings.t1Seconds() + " s, T2 " +
                settings.t2Seconds() + " s" : "") + ")" + storageHint(), null);
        }
        answer(sequence, assembly);
    }

    /**
     * With T1/T2 memory, how long the pairs in use had been stored: the noise grows with it, and a pool
     * is used up, hence refreshed, sooner the smaller it is.
     */
    private String storageHint()
    {
        if (!settings.hasMemory())
        {
            return "";
        }
        final EprPool pool = decoder.pool();
        final long storedNs = pool.clock().nanoTime() - pool.distributionTimeNs(pool.nextPair() - 1);
        return "; the pairs in use had been stored for " + TimeUnit.NANOSECONDS.toMillis(storedNs) + " ms, which a pool of fewer than " +
            pool.capacity() + " pairs (poolCapacityPairs) would shorten";
    }

    private void answer(final long sequence, final Assembly assembly)
    {
        if (assembly.bad.isEmpty())
        {
            assembly.complete = true;
            return;
        }
        int count = 0;
        for (int block = assembly.bad.nextSetBit(0); block >= 0 && count < (control.capacity() - QuantumFrame.HEADER_LENGTH) / 4;
            block = assembly.bad.nextSetBit(block + 1))
        {
            control.putInt(QuantumFrame.HEADER_LENGTH + 4 * count, block, QuantumFrame.ORDER);
            count++;
        }
        sendControl(QuantumFrame.NACK, count, sequence);
    }

    /**
     * Acknowledges the messages delivered since the last acknowledgement, so the sender learns, before
     * it may close, that nothing needs to be resent; then tops the link's pool up to capacity, the
     * offline phase before the next collective, unless the link has fallen back to classical bits (as
     * its sender, which stops distributing at the same frame, has). The ring engine calls it after every
     * collective.
     */
    @Override
    public void flush(final long deadlineNanos)
    {
        throwIfFailed();
        callerDeadlineNs = deadlineNanos;
        if (deliverSequence - 1 > acknowledgedThrough)
        {
            acknowledgeThrough(deliverSequence - 1);
        }
        if (null == fallbackAlarm)
        {
            decoder.pool().refill();
        }
    }

    /**
     * Acknowledges every message delivered or completed, in an unbroken run, so a closing sender does
     * not wait for them.
     */
    private void acknowledgeAll()
    {
        throwIfFailed();
        callerDeadlineNs = System.nanoTime() + settings.controlTimeoutNs();
        long last = Math.max(acknowledgedThrough, deliverSequence - 1);
        for (Assembly next = assemblies.get(last + 1); next != null && next.complete; next = assemblies.get(last + 1))
        {
            last++;
        }
        if (last > acknowledgedThrough)
        {
            acknowledgeThrough(last);
        }
    }

    /**
     * One cumulative acknowledgement for every {@link #acknowledgeEvery} delivered messages (one per
     * message woke the sender's control thread per message). Acknowledging on delivery, which follows
     * the message sequence, rather than on completion, which follows when repairs happened to arrive,
     * makes the acknowledgements sent (and so the ledger) a function of the messages alone.
     */
    private void acknowledgeDeliveredBatches()
    {
        while (deliverSequence - 1 - acknowledgedThrough >= acknowledgeEvery)
        {
            acknowledgeThrough(acknowledgedThrough + acknowledgeEvery);
        }
    }

    private void acknowledgeThrough(final long sequence)
    {
        sendControl(QuantumFrame.ACK, 0, sequence);
        acknowledgedThrough = sequence;
    }

    /**
     * Fails the link, telling the sender, if a verification raised an alarm under the abort policy.
     *
     * @param codedFrame the frame that came coded on the failed batch's pairs, a protocol error; {@code null}
     *                   when the sender announced the alarm.
     */
    private void abortOnAlarm(final String codedFrame)
    {
        final VerificationResult alarm = pendingAlarm;
        if (alarm == null)
        {
            return;
        }
        pendingAlarm = null;
        final QuantumLinkException aborted = QuantumLinkException.verificationAlarm(peerName(), ledger.link(), alarm,
            null == codedFrame ? "" : " (" + codedFrame + " came where the sender had to announce the alarm instead)");
        try
        {
            sendControl(QuantumFrame.ALARM, 0, 0);
        }
        catch (final LinkException ex)
        {
            aborted.addSuppressed(ex);
        }
        failure = aborted;
        throw aborted;
    }

    /**
     * The wire frame on the heap, from offset 0: a view when the transport delivered it in an array (as
     * the authenticated link does, having decrypted it), otherwise a copy, because the decoder's array
     * path is about twice as fast as reading an off-heap buffer through its accessors.
     */
    private DirectBuffer onHeap(final DirectBuffer buffer, final int offset, final int length)
    {
        if (null != buffer.byteArray())
        {
            wireView.wrap(buffer, offset, length);
            return wireView;
        }
        buffer.getBytes(offset, wireCopy, 0, length);
        return wireCopy;
    }

    /**
     * Hands a control message to the transport by the earlier of the current call's deadline and the
     * control timeout; if it misses it, the link fails with the transport's error.
     */
    private void sendControl(final byte type, final int count, final long sequence)
    {
        QuantumFrame.writeHeader(control, type, (byte)0, count, sequence);
        final int length = QuantumFrame.HEADER_LENGTH + 4 * count;
        final long controlDeadlineNs = System.nanoTime() + settings.controlTimeoutNs();
        try
        {
            delegate.send(control, 0, length, callerDeadlineNs - controlDeadlineNs < 0 ? callerDeadlineNs : controlDeadlineNs);
        }
        catch (final LinkException ex)
        {
            failure = ex.withContext("quantum link " + ledger.link() + ": " + describeControl(type, count, sequence) + " to " +
                peerName() + " (control timeout " + TimeUnit.NANOSECONDS.toMillis(settings.controlTimeoutNs()) + " ms)");
            throw failure;
        }
        ledger.add(LedgerCounter.ONLINE_CLASSICAL_BITS, QuantumFrame.TRANSPORT_HEADER_BITS + 8L * length);
    }

    private static String describeControl(final byte type, final int count, final long sequence)
    {
        return switch (type)
        {
            case QuantumFrame.ACK -> "acknowledging frames through " + sequence;
            case QuantumFrame.NACK -> "requesting " + count + " corrupted blocks of frame " + sequence + " again";
            case QuantumFrame.ALARM -> "reporting a verification alarm (aborting)";
            default -> "sending control message type " + type;
        };
    }

    private void throwIfFailed()
    {
        final LinkException failed = failure;
        if (failed != null)
        {
            throw failed.withContext("quantum link from " + peerName());
        }
    }

    private void requireBody(final long sequence, final int bodyLength, final int payloadLength)
    {
        if (bodyLength != payloadLength)
        {
            throw protocolError("classical frame " + sequence + " carries " + bodyLength + " bytes for a " + payloadLength + "-byte payload");
        }
    }

    private QuantumLinkException protocolError(final String what)
    {
        return new QuantumLinkException(peerName(), "quantum link " + ledger.link() + " from " + peerName() + ": " + what, null);
    }

    /** A message being received: decoded bytes, its checksums, and which blocks still fail them. */
    private static final class Assembly
    {
        private final byte[] bytes;
        private final BitSet bad = new BitSet();
        private byte[] crcs = new byte[0];
        private int length;
        private int blockLength;
        private int blocks;
        private int repairRounds;
        private boolean complete;

        private Assembly(final int capacity)
        {
            this.bytes = new byte[capacity];
        }

        /** Starts a message: its length, and its blocks and their checksums as a frame at {@code offset} lays them out. */
        private void reset(final int length, final int blockLength, final int blocks, final DirectBuffer frame, final int offset)
        {
            this.length = length;
            this.repairRounds = 0;
            this.complete = false;
            relayout(blockLength, blocks, frame, offset + QuantumFrame.DATA_CRCS_OFFSET);
        }

        private void relayout(final int blockLength, final int blocks, final DirectBuffer buffer, final int crcsOffset)
        {
            this.blockLength = blockLength;
            this.blocks = blocks;
            bad.clear();
            if (crcs.length < 4 * blocks)
            {
                crcs = new byte[4 * blocks];
            }
            buffer.getBytes(crcsOffset, crcs, 0, 4 * blocks);
        }

        private int blockBytes(final int block)
        {
            return Math.min(blockLength, length - block * blockLength);
        }

        private void markIfBad(final int block, final BlockChecksums checksums)
        {
            final int expected = (crcs[4 * block] & 0xFF) | (crcs[4 * block + 1] & 0xFF) << 8 |
                (crcs[4 * block + 2] & 0xFF) << 16 | (crcs[4 * block + 3] & 0xFF) << 24;
            if (checksums.block(bytes, 0, length, blockLength, block) != expected)
            {
                bad.set(block);
            }
        }
    }
}
