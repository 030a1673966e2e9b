package io.qring.allreduce;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qring.allreduce.config.NonFinitePolicy;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.link.Link;
import io.qring.allreduce.link.LinkException;
import io.qring.allreduce.link.MessageHandler;
import io.qring.allreduce.link.PeerFailedException;
import io.qring.allreduce.link.RingTransport;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;

/**
 * Ring all-reduce (reduce-scatter then all-gather) over a rank's two links (DESIGN §4).
 * <p>
 * <b>Schedule.</b> The array of M elements is cut into N segments, segment s = [s·⌊M/N⌋ + min(s, M mod N),
 * ...), the first M mod N one element longer. In reduce-scatter step t = 0..N−2 rank r sends segment
 * (r − t) mod N to its next rank and adds the segment (r − t − 1) mod N it receives from its previous
 * rank into its own; afterwards rank r owns the full sum of segment (r + 1) mod N, formed in the fixed
 * order ((x_s + x_{s+1}) + x_{s+2}) + … + x_{s−1} (ranks mod N) for segment s. AVERAGE then divides
 * the owned segment once by N. In all-gather step t rank r sends segment (r + 1 − t) mod N and copies
 * in segment (r − t) mod N. Every element is computed once, by its owner, and copied everywhere else,
 * so all ranks end bit-identical. Each rank sends 2M − |seg(r+1)| − |seg(r+2)| elements, i.e.
 * 2(N−1)/N · M when N divides M (the bandwidth lower bound).
 * <p>
 * <b>Chunking.</b> Segments move in chunks of at most the agreed chunk length (the smallest
 * {@link RingContext#chunkLength()} of all ranks, capped by the links' largest message). Within a step
 * a rank sends chunk k + a before it receives chunk k, a = {@link #sendAhead()}: the context's
 * {@link RingContext#sendAhead()}, but at most what its next link takes unreceived
 * ({@link Link#maxUnreceivedMessages(int)}) less two. Sends are asynchronous, so every link carries data
 * while its receiver reduces. The ranks can never all wait at once (no deadlock): going back round the
 * ring, the chunk each rank would wait to receive comes strictly earlier, so not all can wait to receive;
 * ranks that all wait to send are all in one step, where each link would hold more chunks than its sender
 * is ahead of its receives, and summed round the ring these leads cannot exceed the send-aheads. Less
 * one would do; the second chunk is slack.
 * <p>
 * <b>Agreement.</b> Before any data moves, the ranks all-gather a 48-byte descriptor, little-endian:
 * collective number (long, offset 0), rank (int, 8), kind (byte, 12), operation (byte, 13), non-finite
 * policy (byte, 14), length (long, 16), chunk length (int, 24), index of the first non-finite input
 * (long, 32; −1 if none or not scanned) and its value (double, 40). Every rank then checks the same
 * facts and throws the same {@link CollectiveMismatchException} (the ranks called different collectives,
 * or an all-reduce on ranks with different {@link NonFinitePolicy non-finite policies}) or
 * {@link NonFiniteValueException}, and the ring stays usable. This adds N − 1 small messages per rank
 * per collective ({@link #DESCRIPTOR_LENGTH} bytes each). After a collective the engine
 * {@link Link#flush(long) flushes} both links: a decorator that batches acknowledgements sends the last of
 * them, and a quantum link tops up its EPR pool for the next collective.
 * <p>
 * <b>Ledgers.</b> {@link #linkLedgers()} counts what this rank's two link ends carried since the ring
 * connected, {@link #lastOperationLedgers()} what they carried during the last collective the caller
 * made; {@link #gatherRingLedgers()} gathers both views of every directed link of the ring to every rank,
 * one snapshot per link.
 * <p>
 * <b>Failures.</b> A link failure (timeout, peer gone, peer aborted, broken stream) is rethrown with
 * the collective and step it hit; this rank then aborts both links, telling its neighbours why (the
 * reason names the rank that failed first), so the failure crosses the ring at once instead of by
 * timeouts; the instance is unusable afterwards. Calls must not overlap (one collective at a time).
 */
public final class RingAllReduce implements AllReduce
{
    /** Bytes of the descriptor each rank circulates before a collective. */
    public static final int DESCRIPTOR_LENGTH = CollectiveDescriptors.LENGTH;

    /**
     * How long a rank whose send the next rank stopped reading looks for that rank's abort reason; the
     * reason left before the stream closed, so it is there at once unless the rank never sent one.
     */
    static final long PEER_ABORT_REASON_WAIT_NS = TimeUnit.MILLISECONDS.toNanos(250);

    private static final Logger LOG = LoggerFactory.getLogger(RingAllReduce.class);
    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private final RingTransport transport;
    private final Link next;
    private final Link previous;
    private final int rank;
    private final int worldSize;
    private final NonFinitePolicy nonFinitePolicy;
    private final long operationTimeoutNs;
    private final int chunkLength;
    private final int sendAhead;
    private final byte[] sendBytes;
    private final UnsafeBuffer sendBuffer;
    private final ByteBuffer sendView;
    private final CollectiveDescriptors descriptors;
    private final UnsafeBuffer gatherSendBuffer = new UnsafeBuffer(new byte[0]);
    private final ElementArray.Floats floats = new ElementArray.Floats();
    private final ElementArray.Doubles doubles = new ElementArray.Doubles();
    private final AtomicBoolean busy = new AtomicBoolean();
    private final MessageHandler reduceHandler = this::onReduceChunk;
    private final MessageHandler copyHandler = this::onCopyChunk;
    private final MessageHandler descriptorHandler = this::onDescriptor;
    private final MessageHandler bytesHandler = this::onBytesChunk;

    private long operationCount;
    private List<LedgerSnapshot> lastOperationLedgers;
    private volatile RuntimeException failure;
    private volatile boolean closed;

    private String operationName = "";
    private String phase = "";
    private int step;
    private int chunk;
    private ElementArray receiveArray;
    private int receiveFrom;
    private int receiveCount;
    private int receiveSlot;
    private byte[] receiveBytes;
    private int receiveBytesFrom;
    private int receiveBytesCount;

    RingAllReduce(final RingTransport transport, final Link next, final Link previous, final RingContext context)
    {
        this.transport = transport;
        this.next = next;
        this.previous = previous;
        this.rank = transport.rank();
        this.worldSize = transport.worldSize();
        this.nonFinitePolicy = context.nonFinitePolicy();
        this.operationTimeoutNs = context.operationTimeoutNs();
        this.chunkLength = Math.min(context.chunkLength(),
            Math.min(next.maxMessageLength(), previous.maxMessageLength())) & ~7;
        if (chunkLength < Double.BYTES)
        {
            throw new IllegalArgumentException("links of rank " + rank + " carry messages of only " +
                Math.min(next.maxMessageLength(), previous.maxMessageLength()) + " bytes");
        }
        this.sendAhead = Math.max(0, Math.min(context.sendAhead(), next.maxUnreceivedMessages(chunkLength) - 2));
        this.sendBytes = new byte[chunkLength];
        this.sendBuffer = new UnsafeBuffer(sendBytes);
        this.sendView = ByteBuffer.wrap(sendBytes).order(ORDER);
        this.descriptors = new CollectiveDescriptors(worldSize);
        final List<LedgerSnapshot> initial = linkLedgers();
        this.lastOperationLedgers = difference(initial, initial);
    }

    /** {@inheritDoc} */
    @Override
    public int rank()
    {
        return rank;
    }

    /** {@inheritDoc} */
    @Override
    public int worldSize()
    {
        return worldSize;
    }

    /**
     * @return the link to the next rank, as the engine uses it (after the link wrapper): for its ledger and
     *         diagnostics; a send, receive, abort or close on it while the ring is in use breaks the ring.
     */
    public Link next()
    {
        return next;
    }

    /** @return the link to the previous rank, as the engine uses it (after the link wrapper); see {@link #next()}. */
    public Link previous()
    {
        return previous;
    }

    /**
     * @return chunks this rank sends ahead of its receives within a step: {@link RingContext#sendAhead()},
     *         but at most what its next link takes unreceived less two (see the class comment).
     */
    public int sendAhead()
    {
        return sendAhead;
    }

    /** @return this rank's chunk length in bytes (a collective uses the smallest of all ranks'). */
    public int chunkLength()
    {
        return chunkLength;
    }

    /**
     * {@inheritDoc}
     *
     * @throws CollectiveMismatchException if the ranks disagree on the call or on their non-finite policy (ring stays usable).
     * @throws NonFiniteValueException     under {@link NonFinitePolicy#REJECT} if any rank's input is not finite.
     * @throws LinkException               if a link fails; the ring is unusable afterwards.
     * @throws IllegalStateException       if the ring is closed, unusable after an earlier failure, or running
     *                                     another collective on this rank (calls must not overlap), or if the
     *                                     collective fails for another reason than its links (e.g. a peer that
     *                                     breaks the protocol), which leaves the ring unusable too.
     * @throws NullPointerException        if {@code data} or {@code op} is null.
     */
    @Override
    public void allReduce(final float[] data, final ReduceOp op)
    {
        requireArguments(data, op);
        begin();
        try
        {
            runAllReduce(floats.wrap(data), CollectiveDescriptors.KIND_FLOAT, op);
        }
        finally
        {
            floats.wrap(null);
            end();
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws CollectiveMismatchException if the ranks disagree on the call or on their non-finite policy (ring stays usable).
     * @throws NonFiniteValueException     under {@link NonFinitePolicy#REJECT} if any rank's input is not finite.
     * @throws LinkException               if a link fails; the ring is unusable afterwards.
     * @throws IllegalStateException       if the ring is closed, unusable after an earlier failure, or running
     *                                     another collective on this rank (calls must not overlap), or if the
     *                                     collective fails for another reason than its links (e.g. a peer that
     *                                     breaks the protocol), which leaves the ring unusable too.
     * @throws NullPointerException        if {@code data} or {@code op} is null.
     */
    @Override
    public void allReduce(final double[] data, final ReduceOp op)
    {
        requireArguments(data, op);
        begin();
        try
        {
            runAllReduce(doubles.wrap(data), CollectiveDescriptors.KIND_DOUBLE, op);
        }
        finally
        {
            doubles.wrap(null);
            end();
        }
    }

    /**
     * {@inheritDoc}
     *
     * @throws CollectiveMismatchException if the ranks disagree on the call (ring stays usable).
     * @throws LinkException               if a link fails; the ring is unusable afterwards.
     * @throws IllegalStateException       if the ring is closed, unusable after an earlier failure, or running
     *                                     another collective on this rank (calls must not overlap), or if the
     *                                     collective fails for another reason than its links (e.g. a peer that
     *                                     breaks the protocol), which leaves the ring unusable too.
     * @throws NullPointerException        if {@code local} is null.
     */
    @Override
    public byte[][] allGather(final byte[] local)
    {
        Objects.requireNonNull(local, "allGather needs a byte array, got null");
        begin();
        try
        {
            return runAllGather(local, true);
        }
        finally
        {
            end();
        }
    }

    /**
     * Cumulative counts of this rank's two link ends, next link first: what it put on the link to its next
     * rank, then what it counts toward its previous rank. On a classical ring the second is the return
     * direction it acknowledges on ({@code "r->r-1 (return)"}); on a quantum ring it is the receiving end of
     * the previous rank's link ({@code "r-1->r"}: acknowledgements, verification announcements), so that
     * link's counts are split between its two ends: merge them by name
     * ({@link LedgerSnapshot#mergeByLink}) or use {@link #gatherRingLedgers()}, which does.
     *
     * @return two snapshots.
     */
    public List<LedgerSnapshot> linkLedgers()
    {
        return List.of(next.ledger().snapshot(), previous.ledger().snapshot());
    }

    /**
     * What this rank's two link ends ({@link #linkLedgers()}) carried during the last {@link #allReduce(float[], ReduceOp)
     * allReduce} or {@link #allGather allGather} (descriptors included, also when it failed on a mismatch
     * or a non-finite input), next link first. {@link #gatherRingLedgers()} does not replace it.
     *
     * @return two snapshots; all zero before the first collective.
     */
    public List<LedgerSnapshot> lastOperationLedgers()
    {
        return lastOperationLedgers;
    }

    /**
     * Collective: gathers every rank's {@link #linkLedgers()} and {@link #lastOperationLedgers()}, both
     * taken before the gather itself moves, and merges the ends of each link, so any rank can report every
     * directed link of the ring, or the whole ring with {@code LedgerSnapshot.merge("ring",
     * ledgers.lastOperation())}. The gather does not change {@link #lastOperationLedgers()}: its own traffic
     * shows only in later cumulative ledgers.
     *
     * @return one snapshot per directed link of the ring in both views: 2N on a classical ring (data and
     *         return directions), N on a quantum ring (each link's sending and receiving ends merged).
     * @throws CollectiveMismatchException if another rank called a different collective (ring stays usable).
     * @throws LinkException               if a link fails; the ring is unusable afterwards.
     * @throws IllegalStateException       naming the rank, if a rank's ledgers are not in this build's layout
     *                                     (ranks on different qring builds; the ring stays usable), or as
     *                                     {@link #allGather} throws it.
     */
    public RingLedgers gatherRingLedgers()
    {
        begin();
        try
        {
            final byte[][] all = runAllGather(RingLedgerCodec.encode(linkLedgers(), lastOperationLedgers), false);
            final List<LedgerSnapshot> cumulative = new ArrayList<>(2 * worldSize);
            final List<LedgerSnapshot> lastOperation = new ArrayList<>(2 * worldSize);
            for (int r = 0; r < all.length; r++)
            {
                final List<List<LedgerSnapshot>> views = RingLedgerCodec.decode(r, all[r]);
                cumulative.addAll(views.get(0));
                lastOperation.addAll(views.get(1));
            }
            return new RingLedgers(LedgerSnapshot.mergeByLink(cumulative), LedgerSnapshot.mergeByLink(lastOperation));
        }
        finally
        {
            end();
        }
    }

    /** Closes the links (and any decorators), the transport and its media driver lease. Idempotent. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        CloseHelper.quietCloseAll(next, previous, transport);
    }

    @Override
    public String toString()
    {
        return "RingAllReduce{rank " + rank + " of " + worldSize + ", next " + next.peerName() + ", previous " +
            previous.peerName() + "}";
    }

    private void runAllReduce(final ElementArray array, final byte kind, final ReduceOp op)
    {
        final long operation = ++operationCount;
        operationName = "allReduce #" + operation + " (" + array.typeName() + "[" + array.length() + "], " + op + ")";
        final List<LedgerSnapshot> before = linkLedgers();
        try
        {
            final int nonFinite = NonFinitePolicy.REJECT == nonFinitePolicy ? array.firstNonFinite() : -1;
            final int agreedChunk = agree(operation, kind, (byte)op.ordinal(), array.length(), nonFinite,
                nonFinite >= 0 ? array.valueAt(nonFinite) : 0.0);
            final int chunkElements = agreedChunk / array.elementBytes();
            final int length = array.length();
            phase = "reduce-scatter";
            for (int t = 0; t < worldSize - 1; t++)
            {
                step = t;
                exchange(array, mod(rank - t), mod(rank - t - 1), length, chunkElements, true);
            }
            if (ReduceOp.AVERAGE == op)
            {
                final int owned = mod(rank + 1);
                array.divide(segmentStart(owned, length), segmentLength(owned, length), worldSize);
            }
            phase = "all-gather";
            for (int t = 0; t < worldSize - 1; t++)
            {
                step = t;
                exchange(array, mod(rank + 1 - t), mod(rank - t), length, chunkElements, false);
            }
            flushLinks();
        }
        catch (final LinkException ex)
        {
            throw fail(ex.withContext(where()));
        }
        catch (final CollectiveMismatchException | NonFiniteValueException ex)
        {
            throw endRejected(ex);
        }
        catch (final RuntimeException ex)
        {
            throw fail(new IllegalStateException(where() + ": " + ex.getMessage(), ex));
        }
        catch (final Error ex)
        {
            throw failOn(ex);
        }
        finally
        {
            lastOperationLedgers = difference(before, linkLedgers());
        }
    }

    private byte[][] runAllGather(final byte[] local, final boolean userCollective)
    {
        final long operation = ++operationCount;
        operationName = (userCollective ? "allGather #" : "gatherRingLedgers() #") + operation + " (byte[" + local.length + "])";
        final List<LedgerSnapshot> before = linkLedgers();
        try
        {
            final int agreedChunk = agree(operation, CollectiveDescriptors.KIND_GATHER,
                userCollective ? CollectiveDescriptors.GATHER_BYTES : CollectiveDescriptors.GATHER_LEDGERS, local.length, -1, 0.0);
            final byte[][] messages = new byte[worldSize][];
            messages[rank] = local.clone();
            phase = "all-gather";
            for (int t = 0; t < worldSize - 1; t++)
            {
                step = t;
                final int sendSlot = mod(rank - t);
                final int receiveSlotIndex = mod(rank - t - 1);
                messages[receiveSlotIndex] = new byte[(int)descriptors.length(receiveSlotIndex)];
                exchangeBytes(messages[sendSlot], messages[receiveSlotIndex], agreedChunk);
            }
            flushLinks();
            return messages;
        }
        catch (final LinkException ex)
        {
            throw fail(ex.withContext(where()));
        }
        catch (final CollectiveMismatchException ex)
        {
            throw endRejected(ex);
        }
        catch (final RuntimeException ex)
        {
            throw fail(new IllegalStateException(where() + ": " + ex.getMessage(), ex));
        }
        catch (final Error ex)
        {
            throw failOn(ex);
        }
        finally
        {
            gatherSendBuffer.wrap(new byte[0]);
            if (userCollective)
            {
                lastOperationLedgers = difference(before, linkLedgers());
            }
        }
    }

    private void exchange(
        final ElementArray array,
        final int sendSegment,
        final int receiveSegment,
        final int length,
        final int chunkElements,
        final boolean reduce)
    {
        final int sendStart = segmentStart(sendSegment, length);
        final int sendLength = segmentLength(sendSegment, length);
        final int receiveStart = segmentStart(receiveSegment, length);
        final int receiveLength = segmentLength(receiveSegment, length);
        final int sendChunks = chunks(sendLength, chunkElements);
        final int receiveChunks = chunks(receiveLength, chunkElements);
        final int elementBytes = array.elementBytes();
        receiveArray = array;
        interleave(sendChunks, receiveChunks,
            k ->
            {
                final int from = sendStart + k * chunkElements;
                final int count = Math.min(chunkElements, sendLength - k * chunkElements);
                array.copyOut(from, count, sendView);
                sendNext(sendBuffer, 0, count * elementBytes);
            },
            k ->
            {
                receiveFrom = receiveStart + k * chunkElements;
                receiveCount = Math.min(chunkElements, receiveLength - k * chunkElements);
                previous.receive(reduce ? reduceHandler : copyHandler, deadline());
            });
        receiveArray = null;
    }

    /**
     * The schedule of one exchange: chunk k is sent at step k and chunk k is received at step k + sendAhead,
     * so a rank keeps {@code sendAhead} chunks in flight ahead of its receives; {@link #chunk} names the chunk
     * being sent or received, for errors.
     */
    private void interleave(final int sendChunks, final int receiveChunks, final IntConsumer send, final IntConsumer receive)
    {
        for (int k = 0, n = Math.max(sendChunks, receiveChunks + sendAhead); k < n; k++)
        {
            if (k < sendChunks)
            {
                chunk = k;
                send.accept(k);
            }
            final int received = k - sendAhead;
            if (received >= 0 && received < receiveChunks)
            {
                chunk = received;
                receive.accept(received);
            }
        }
    }

    /** Sends one message to the next rank and counts it in that link's ledger ({@link LedgerCounter#MESSAGES}). */
    private void sendNext(final DirectBuffer buffer, final int offset, final int length)
    {
        try
        {
            next.send(buffer, offset, length, deadline());
        }
        catch (final PeerFailedException ex)
        {
            throw withPeerAbortReason(ex);
        }
        next.ledger().add(LedgerCounter.MESSAGES, 1);
    }

    /**
     * The failure of a send the next rank stopped reading, restated with the reason that rank gave when it
     * aborted, if it sent one before it stopped: that rank may have failed for a cause of its own (e.g. at
     * connect, against its own next rank), which its reason names.
     */
    private PeerFailedException withPeerAbortReason(final PeerFailedException ex)
    {
        if (null != ex.abortReason())
        {
            return ex;
        }
        final String reason = next.awaitPeerAbortReason(System.nanoTime() + Math.min(operationTimeoutNs, PEER_ABORT_REASON_WAIT_NS));
        return null == reason ? ex : PeerFailedException.aborted(ex.peerName(), reason, ex);
    }

    private void exchangeBytes(final byte[] send, final byte[] receive, final int chunkBytes)
    {
        final int sendChunks = chunks(send.length, chunkBytes);
        final int receiveChunks = chunks(receive.length, chunkBytes);
        gatherSendBuffer.wrap(send);
        receiveBytes = receive;
        interleave(sendChunks, receiveChunks,
            k ->
            {
                final int from = k * chunkBytes;
                sendNext(gatherSendBuffer, from, Math.min(chunkBytes, send.length - from));
            },
            k ->
            {
                receiveBytesFrom = k * chunkBytes;
                receiveBytesCount = Math.min(chunkBytes, receive.length - receiveBytesFrom);
                previous.receive(bytesHandler, deadline());
            });
        receiveBytes = null;
    }

    /**
     * Ends a collective the ranks agreed to reject before any data moved: its descriptors still went
     * over the links, so they are flushed as after any collective (a quantum receiver that holds back
     * their acknowledgements would otherwise keep its sender waiting when the ring closes).
     *
     * @return the rejection, to be thrown; if the flush fails, the ring fails with the flush's error,
     *         which is returned instead with the rejection attached as suppressed (the links may no
     *         longer agree on what they hold, e.g. a quantum sender that could not top up its pool).
     */
    private RuntimeException endRejected(final RuntimeException rejection)
    {
        try
        {
            flushLinks();
            return rejection;
        }
        catch (final LinkException ex)
        {
            final RuntimeException failed = fail(ex.withContext(where()));
            failed.addSuppressed(rejection);
            return failed;
        }
        catch (final RuntimeException ex)
        {
            final RuntimeException failed = fail(new IllegalStateException(where() + ": " + ex.getMessage(), ex));
            failed.addSuppressed(rejection);
            return failed;
        }
    }

    /**
     * Ends a collective that completed: the previous link sends what it held back (acknowledgements),
     * then both links do what belongs between collectives (a quantum link tops up its EPR pool).
     */
    private void flushLinks()
    {
        previous.flush(deadline());
        next.flush(deadline());
    }

    private int agree(
        final long operation,
        final byte kind,
        final byte op,
        final long length,
        final int nonFiniteIndex,
        final double nonFiniteValue)
    {
        phase = "agreement";
        chunk = 0;
        descriptors.writeOwn(rank, operation, kind, op, nonFinitePolicy, length, chunkLength, nonFiniteIndex, nonFiniteValue);
        for (int t = 0; t < worldSize - 1; t++)
        {
            step = t;
            sendNext(descriptors.buffer(), CollectiveDescriptors.offset(mod(rank - t)), DESCRIPTOR_LENGTH);
            receiveSlot = mod(rank - t - 1);
            previous.receive(descriptorHandler, deadline());
        }
        return descriptors.check(kind, operation, operationName);
    }

    private void onReduceChunk(final DirectBuffer buffer, final int offset, final int length)
    {
        checkChunkLength(length, receiveCount * receiveArray.elementBytes());
        receiveArray.add(buffer, offset, receiveFrom, receiveCount);
    }

    private void onCopyChunk(final DirectBuffer buffer, final int offset, final int length)
    {
        checkChunkLength(length, receiveCount * receiveArray.elementBytes());
        receiveArray.copyIn(buffer, offset, receiveFrom, receiveCount);
    }

    private void onDescriptor(final DirectBuffer buffer, final int offset, final int length)
    {
        checkChunkLength(length, DESCRIPTOR_LENGTH);
        descriptors.copyIn(receiveSlot, buffer, offset);
    }

    private void onBytesChunk(final DirectBuffer buffer, final int offset, final int length)
    {
        checkChunkLength(length, receiveBytesCount);
        buffer.getBytes(offset, receiveBytes, receiveBytesFrom, receiveBytesCount);
    }

    private void checkChunkLength(final int actual, final int expected)
    {
        if (actual != expected)
        {
            throw new IllegalStateException("ring protocol violation: " + previous.peerName() + " sent " + actual +
                " bytes where " + expected + " were expected");
        }
    }

    private RuntimeException fail(final RuntimeException ex)
    {
        failure = ex;
        final String reason = ex instanceof PeerFailedException peerFailed && null != peerFailed.abortReason() ?
            peerFailed.abortReason() : "rank " + rank + " failed: " + ex.getMessage();
        LOG.debug("rank {} aborting its links: {}", rank, reason);
        next.abort(reason);
        previous.abort(reason);
        return ex;
    }

    /**
     * An {@link Error} in the middle of a collective (e.g. out of memory) leaves this rank out of step with
     * its neighbours as surely as a link failure: the ring fails and tells them why, and the error goes on.
     */
    private Error failOn(final Error error)
    {
        fail(new IllegalStateException(where() + ": " + error, error));
        return error;
    }

    private String where()
    {
        return "rank " + rank + ", " + operationName + ", " + phase + " step " + step + " chunk " + chunk;
    }

    /**
     * Checks a call's arguments before it counts as a collective: a null rejected later would leave this
     * rank's operation count ahead of the others', and every later collective would then mismatch.
     */
    private static void requireArguments(final Object data, final ReduceOp op)
    {
        Objects.requireNonNull(data, "allReduce needs an array, got null");
        Objects.requireNonNull(op, "allReduce needs a ReduceOp, got null");
    }

    private void begin()
    {
        if (closed)
        {
            throw new IllegalStateException("ring of rank " + rank + " is closed");
        }
        final RuntimeException earlier = failure;
        if (null != earlier)
        {
            throw new IllegalStateException("ring of rank " + rank + " is unusable after an earlier failure: " +
                earlier.getMessage(), earlier);
        }
        if (!busy.compareAndSet(false, true))
        {
            throw new IllegalStateException("a collective is already running on rank " + rank + ": calls must not overlap");
        }
    }

    private void end()
    {
        phase = "";
        busy.set(false);
    }

    private long deadline()
    {
        return System.nanoTime() + operationTimeoutNs;
    }

    private int mod(final int value)
    {
        final int m = value % worldSize;
        return m < 0 ? m + worldSize : m;
    }

    private int segmentStart(final int segment, final int length)
    {
        return segment * (length / worldSize) + Math.min(segment, length % worldSize);
    }

    private int segmentLength(final int segment, final int length)
    {
        return length / worldSize + (segment < length % worldSize ? 1 : 0);
    }

    /** @return chunks of at most {@code chunk} covering {@code length}, in long arithmetic: lengths may reach 2^31 − 1. */
    static int chunks(final int length, final int chunk)
    {
        return (int)(((long)length + chunk - 1) / chunk);
    }

    private static List<LedgerSnapshot> difference(final List<LedgerSnapshot> before, final List<LedgerSnapshot> after)
    {
        final List<LedgerSnapshot> diff = new ArrayList<>(after.size());
        for (int i = 0; i < after.size(); i++)
        {
            diff.add(after.get(i).minus(before.get(i)));
        }
        return List.copyOf(diff);
    }

    /**
     * Every directed link's ledger of the ring as {@link #gatherRingLedgers()} returns it, one snapshot per
     * link: in both views the links go in the order they first appear rank by rank, next link first (a
     * classical ring's 2N: {@code "0->1"}, {@code "0->N-1 (return)"}, {@code "1->2"}, ...; a quantum ring's N:
     * {@code "0->1"}, {@code "N-1->0"}, {@code "1->2"}, ...), so entry i of one view and entry i of the other
     * describe the same link.
     *
     * @param cumulative    what each link carried from the ring's start up to the gather (excluded).
     * @param lastOperation what each link carried during the last allReduce or allGather before the gather,
     *                      as its owner's {@link #lastOperationLedgers()} reports it.
     */
    public record RingLedgers(List<LedgerSnapshot> cumulative, List<LedgerSnapshot> lastOperation)
    {
        private static final ObjectMapper JSON = LedgerJson.mapper();

        /**
         * @param cumulative    what each link carried from the ring's start up to the gather (excluded).
         * @param lastOperation what each link carried during the last allReduce or allGather before the gather.
         */
        public RingLedgers
        {
            cumulative = List.copyOf(cumulative);
            lastOperation = List.copyOf(lastOperation);
        }

        /** @return {@code {"cumulative":[...],"lastOperation":[...]}}, each link as {@link LedgerJson} writes it. */
        public String toJson()
        {
            try
            {
                return JSON.writeValueAsString(this);
            }
            catch (final JsonProcessingException ex)
            {
                throw new IllegalStateException("ring ledgers could not be written as JSON", ex);
            }
        }
    }
}
