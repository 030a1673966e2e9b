package io.qring.it;

import io.aeron.Aeron;
import io.aeron.AeronCounters;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.driver.status.StreamCounter;
import io.qring.allreduce.LocalRing;
import io.qring.allreduce.ReduceOp;
import io.qring.allreduce.RingAllReduce;
import io.qring.allreduce.aeron.EmbeddedMediaDriver;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.link.FrameCodec;
import io.qring.allreduce.link.FrameHeaderFlyweight;
import io.qring.allreduce.link.MembershipSecret;
import io.qring.allreduce.quantum.QuantumLinkSettings;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An outsider on the ring's own media driver, which knows everything about a ring of 3 threads over real
 * Aeron IPC (its ring id, ranks and stream ids) but its shared secret, injects frames into both streams a
 * victim rank (1) reads: the data stream from its previous rank and the return stream from its next rank.
 * Once the ring has connected, a separate Aeron client adds exclusive publications on those streams and,
 * while the ring runs 20 all-reduces of 50,000 floats, keeps offering random bytes and well-formed DATA
 * and ABORT frames that claim to come from the victim's neighbour, with this ring's id and consecutive
 * sequence numbers 1, 2, 3..., sealed by a {@link FrameCodec} under session keys derived from a different
 * {@link MembershipSecret}. Classical and quantum links both must deliver, on every rank, the exact sums
 * (integer-valued floats, so the sum is exact whatever the order), bit-identical to a run without the
 * intruder, with every link's ledger equal to that run's, and stay usable after the intruder leaves.
 * <p>
 * What happens to the forged frames, as this test observes it: the driver links every IPC publication
 * on a stream to the subscription on it, so each of the intruder's sessions appears as an image on the
 * victim's subscription (the victim's subscriber-position counter for that session exists). But at the
 * end of the handshake each link locks onto the session of the peer that proved the secret
 * ({@code AeronPipe.acceptOnlySession}) and from then on polls that image alone: the intruder's images
 * are never read, the victim's subscriber position on each stays at its join position 0, and the
 * intruder's publication stalls back-pressured once its term window is full (it then opens a fresh
 * session, up to {@value #MAX_SESSIONS} per stream, so frames keep reaching the driver throughout the
 * run). No forged frame reaches a frame codec: every link end of both rings counts no rejected frame
 * ({@link LedgerCounter#REJECTED_FRAMES}; a quantum link end carries its transport's count into its own
 * ledger). Had a forged frame been read, the codec would have dropped it (random bytes: truncated or bad
 * magic; sealed frames: bad tag), as {@code AuthenticatedLinkTest} shows on in-memory pipes; this test
 * would then fail on the rejected counts and the subscriber positions, not on the sums.
 * <p>
 * The test fails if a forged frame is accepted (a wrong sum, or a rank failing on a forged ABORT), if the
 * intruder's traffic disturbs the ring (a timeout, a ledger that differs from the clean run), or if the
 * intruder did not really reach the victim (fewer than {@value #MIN_FRAMES_SENT} frames published, none
 * during the all-reduces, or a session without an image on the victim's subscription).
 */
class ForgedFrameInjectionTest
{
    private static final long SEED = 20_250_301L;
    private static final int WORLD_SIZE = 3;
    private static final int VICTIM = 1;
    private static final int PREVIOUS = (VICTIM - 1 + WORLD_SIZE) % WORLD_SIZE;
    private static final int NEXT = (VICTIM + 1) % WORLD_SIZE;
    private static final int OPERATIONS = 20;
    private static final int LENGTH = 50_000;
    /** Inputs are integers in [-2^20, 2^20]: the sum of 3 is below 2^24, so every float sum is exact. */
    private static final int INPUT_BOUND = 1 << 20;
    private static final long RING_ID = 0x51_7E_57L;
    /** Far above the range {@link LocalRing} hands out from 4100, so no other ring of this JVM shares a stream. */
    private static final AtomicInteger NEXT_STREAM_ID_BASE = new AtomicInteger(0x40_0000);
    private static final String IPC_CHANNEL = "aeron:ipc";
    /** Smallest Aeron term: a window of 32 KiB, about 200 of the intruder's frames per session. */
    private static final String INTRUDER_CHANNEL = IPC_CHANNEL + "?term-length=65536";
    private static final int MAX_SESSIONS = 64;
    /** Frames the intruder offers on each stream per wake-up, unless refused first: some 30,000 a second. */
    private static final int BURST = 8;
    private static final int MIN_FRAMES_SENT = 1_000;
    /** Frames each of the intruder's streams must have published before the all-reduces start. */
    private static final int FRAMES_BEFORE_START = 200;
    private static final long OFFER_INTERVAL_NS = TimeUnit.MICROSECONDS.toNanos(200);
    private static final long INTRUDER_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);
    private static final int MAX_RANDOM_FRAME_LENGTH = 256;
    private static final int MIN_FORGED_PAYLOAD_LENGTH = 16;
    private static final int MAX_FORGED_PAYLOAD_LENGTH = 192;
    private static final byte[] FORGED_ABORT_REASON = ("rank " + PREVIOUS + " gives up: forged").getBytes(StandardCharsets.UTF_8);

    @ParameterizedTest(name = "quantum links: {0}")
    @ValueSource(booleans = {false, true})
    void shouldDeliverTheExactSumsAndReadNoFrameOfAnOutsiderInjectingIntoAVictimsStreams(final boolean quantum)
    {
        final RingRun clean = run(quantum, false);
        final RingRun flooded = run(quantum, true);

        for (int op = 0; op <= OPERATIONS; op++)
        {
            final long[] expected = exactSum(op);
            for (int rank = 0; rank < WORLD_SIZE; rank++)
            {
                final String what = "all-reduce " + op + (OPERATIONS == op ? " (after the intruder left)" : "") + ", rank " + rank;
                assertArrayEquals(expected, clean.bits().get(rank)[op], "clean ring, " + what);
                assertArrayEquals(expected, flooded.bits().get(rank)[op], "flooded ring, exact sum, " + what);
                assertArrayEquals(clean.bits().get(rank)[op], flooded.bits().get(rank)[op], "flooded vs clean ring, " + what);
            }
        }
        assertEquals(clean.ledgers(), flooded.ledgers(), "the intruder must cost no link a bit or a qubit");
        assertEquals(quantum ? WORLD_SIZE : 2 * WORLD_SIZE, flooded.ledgers().size(), "every link of the ring");
        flooded.ledgers().forEach((link, ledger) ->
            assertEquals(0L, ledger.get(LedgerCounter.REJECTED_FRAMES), "no forged frame may even reach a codec of link " + link));

        long sent = 0;
        for (final StreamReport stream : flooded.intruder())
        {
            sent += stream.sent();
            assertTrue(stream.sentDuringAllReduces() > 0, "the intruder must publish while the ring runs: " + stream);
            assertEquals(stream.sessions(), stream.imagesOnVictim(),
                "every session of the intruder must reach the victim's subscription: " + stream);
            assertEquals(0, stream.consumedBytes(), "the victim must read nothing of the intruder's images: " + stream);
            assertTrue(stream.publishedBytes() > 0, stream.toString());
            assertTrue(stream.sentRandom() > 0 && stream.sentForgedData() > 0 && stream.sentForgedAbort() > 0,
                "every kind of frame must be published: " + stream);
        }
        assertTrue(sent >= MIN_FRAMES_SENT, "the intruder published only " + sent + " frames: " + flooded.intruder());
    }

    /**
     * Runs {@link #OPERATIONS} all-reduces on a fresh ring, with the intruder injecting throughout when
     * {@code intruded}, then one more after the intruder left.
     */
    private static RingRun run(final boolean quantum, final boolean intruded)
    {
        final RingContext context = context(quantum);
        try (LocalRing ring = LocalRing.start(context);
            Intruder intruder = intruded ? Intruder.start(context.streamIdBase()) : null)
        {
            final long[] sentBefore = null == intruder ? new long[0] : intruder.awaitSent(FRAMES_BEFORE_START);
            final List<long[][]> during = ring.run(rank -> allReduces(rank, 0, OPERATIONS), IpcRings.RUN_TIMEOUT_NS);
            final List<StreamReport> streams = null == intruder ? List.of() : intruder.stop(sentBefore);
            final List<long[][]> after = ring.run(rank -> allReduces(rank, OPERATIONS, 1), IpcRings.RUN_TIMEOUT_NS);

            final List<long[][]> bits = new ArrayList<>(WORLD_SIZE);
            final List<LedgerSnapshot> ledgers = new ArrayList<>();
            for (int rank = 0; rank < WORLD_SIZE; rank++)
            {
                final long[][] results = new long[OPERATIONS + 1][];
                System.arraycopy(during.get(rank), 0, results, 0, OPERATIONS);
                results[OPERATIONS] = after.get(rank)[0];
                bits.add(results);
                final RingAllReduce engine = ring.rank(rank);
                ledgers.addAll(engine.linkLedgers());
            }
            return new RingRun(bits, IpcRings.byLink(ledgers), streams);
        }
    }

    private static RingContext context(final boolean quantum)
    {
        final RingContext context = IpcRings.context(WORLD_SIZE)
            .ringId(RING_ID)
            .sharedSecret(secret(SEED))
            .streamIdBase(NEXT_STREAM_ID_BASE.getAndAdd(2 * WORLD_SIZE));
        return quantum ? context.linkWrapper(QuantumLinkSettings.builder().build().wrapper()) : context;
    }

    private static byte[] secret(final long seed)
    {
        final byte[] secret = new byte[32];
        new SplittableRandom(seed).nextBytes(secret);
        return secret;
    }

    private static long[][] allReduces(final RingAllReduce rank, final int first, final int count)
    {
        final long[][] bits = new long[count][];
        for (int i = 0; i < count; i++)
        {
            final float[] data = input(rank.rank(), first + i);
            rank.allReduce(data, ReduceOp.SUM);
            bits[i] = IpcRings.rawBits(data);
        }
        return bits;
    }

    private static float[] input(final int rank, final int op)
    {
        final SplittableRandom random = new SplittableRandom(SEED * 1_000_003L + 1_009L * op + rank);
        final float[] data = new float[LENGTH];
        for (int i = 0; i < LENGTH; i++)
        {
            data[i] = random.nextInt(-INPUT_BOUND, INPUT_BOUND + 1);
        }
        return data;
    }

    /** @return raw bits of the exact sum of every rank's input to all-reduce {@code op}. */
    private static long[] exactSum(final int op)
    {
        final long[] sum = new long[LENGTH];
        for (int rank = 0; rank < WORLD_SIZE; rank++)
        {
            final float[] data = input(rank, op);
            for (int i = 0; i < LENGTH; i++)
            {
                sum[i] += (long)data[i];
            }
        }
        final float[] exact = new float[LENGTH];
        for (int i = 0; i < LENGTH; i++)
        {
            exact[i] = sum[i];
        }
        return IpcRings.rawBits(exact);
    }

    /**
     * What a ring delivered.
     *
     * @param bits     [rank][operation] raw bits of the result; the last operation ran after the intruder left.
     * @param ledgers  every link's ledger over the whole run, by link name.
     * @param intruder what the intruder did on each stream (none for a clean run).
     */
    private record RingRun(
        List<long[][]> bits,
        Map<String, LedgerSnapshot> ledgers,
        List<StreamReport> intruder)
    {
    }

    /**
     * What the intruder did on one of the victim's streams.
     *
     * @param name                 which stream.
     * @param streamId             its Aeron stream id.
     * @param sentRandom           frames of random bytes published.
     * @param sentForgedData       DATA frames sealed under the wrong secret published.
     * @param sentForgedAbort      ABORT frames sealed under the wrong secret published.
     * @param sentDuringAllReduces frames published while the ring ran its all-reduces.
     * @param backPressured        offers refused with back-pressure (the victim does not read the session).
     * @param notConnected         offers refused as not connected.
     * @param adminAction          offers refused for an admin action.
     * @param sessions             publications (sessions) the intruder opened.
     * @param imagesOnVictim       images of them on the stream's subscriptions (subscriber-position counters): the
     *                             victim's subscription is the only one, so one per session.
     * @param publishedBytes       bytes published over all sessions, Aeron frame headers and padding included.
     * @param consumedBytes        bytes of them the subscriptions consumed (their positions past the join position 0).
     */
    private record StreamReport(
        String name,
        int streamId,
        long sentRandom,
        long sentForgedData,
        long sentForgedAbort,
        long sentDuringAllReduces,
        long backPressured,
        long notConnected,
        long adminAction,
        int sessions,
        int imagesOnVictim,
        long publishedBytes,
        long consumedBytes)
    {
        long sent()
        {
            return sentRandom + sentForgedData + sentForgedAbort;
        }
    }

    /** An Aeron client on the ring's embedded driver without the secret, injecting on its own thread. */
    private static final class Intruder implements AutoCloseable
    {
        private final Aeron aeron;
        private final List<ForgedStream> streams;
        private final Thread thread;
        private volatile boolean running = true;
        private volatile Throwable failure;

        private Intruder(final Aeron aeron, final List<ForgedStream> streams)
        {
            this.aeron = aeron;
            this.streams = streams;
            this.thread = new Thread(this::inject, "qring-intruder");
            this.thread.setDaemon(true);
        }

        /**
         * @param streamIdBase the ring's stream id base.
         * @return an intruder injecting into the victim's data stream (posing as its previous rank) and
         *         return stream (posing as its next rank).
         */
        static Intruder start(final int streamIdBase)
        {
            final String directory = EmbeddedMediaDriver.runningDirectory();
            assertNotNull(directory, "the ring's embedded media driver must be running");
            final Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(directory).clientName("qring intruder"));
            try
            {
                final MembershipSecret wrongSecret = new MembershipSecret(secret(~SEED));
                final Intruder intruder = new Intruder(aeron, List.of(
                    new ForgedStream(aeron, "data stream from rank " + PREVIOUS, streamIdBase + 2 * PREVIOUS,
                        forger(wrongSecret, PREVIOUS, true)),
                    new ForgedStream(aeron, "return stream from rank " + NEXT, streamIdBase + 2 * VICTIM + 1,
                        forger(wrongSecret, NEXT, false))));
                intruder.thread.start();
                return intruder;
            }
            catch (final RuntimeException | AssertionError ex)
            {
                CloseHelper.quietClose(aeron);
                throw ex;
            }
        }

        /**
         * A codec that seals frames from {@code posingAs} to the victim under session keys derived from
         * the wrong secret and nonces of its own: no handshake with the victim is needed to build them.
         */
        private static FrameCodec forger(final MembershipSecret wrongSecret, final int posingAs, final boolean forward)
        {
            final FrameCodec codec = new FrameCodec(RING_ID, posingAs, VICTIM, "rank " + VICTIM, forward,
                MAX_FORGED_PAYLOAD_LENGTH, wrongSecret.handshakeKey());
            final byte[] ownNonce = secret(SEED + posingAs);
            final byte[] victimNonce = secret(SEED - posingAs);
            codec.establish(
                wrongSecret.sessionKey(RING_ID, codec.sendDirection(), posingAs, VICTIM, ownNonce, victimNonce),
                wrongSecret.sessionKey(RING_ID, codec.receiveDirection(), VICTIM, posingAs, victimNonce, ownNonce));
            return codec;
        }

        /**
         * Waits, at most {@link #INTRUDER_TIMEOUT_NS}, until every stream has published {@code frames} frames.
         *
         * @param frames frames each stream must have published.
         * @return {@link #sentSoFar()} then.
         */
        long[] awaitSent(final long frames)
        {
            final long deadline = System.nanoTime() + INTRUDER_TIMEOUT_NS;
            while (streams.stream().anyMatch(stream -> stream.sent.get() < frames))
            {
                if (null != failure || !thread.isAlive())
                {
                    throw new AssertionError("the intruder stopped early", failure);
                }
                if (System.nanoTime() - deadline >= 0)
                {
                    throw new AssertionError("the intruder did not publish " + frames + " frames on every stream within " +
                        TimeUnit.NANOSECONDS.toMillis(INTRUDER_TIMEOUT_NS) + " ms: " + sentSoFarText());
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            return sentSoFar();
        }

        /** @return frames published so far on each stream, in stream order. */
        long[] sentSoFar()
        {
            return streams.stream().mapToLong(stream -> stream.sent.get()).toArray();
        }

        private String sentSoFarText()
        {
            final StringBuilder text = new StringBuilder();
            streams.forEach(stream -> text.append(stream.name).append(": ").append(stream.sent.get()).append(" sent; "));
            return text.toString();
        }

        /**
         * Stops injecting, waiting at most {@link #INTRUDER_TIMEOUT_NS}, and closes the publications.
         *
         * @param sentBefore {@link #sentSoFar()} when the all-reduces started.
         * @return what happened on each stream.
         */
        List<StreamReport> stop(final long[] sentBefore)
        {
            final long[] sentAtEnd = sentSoFar();
            running = false;
            try
            {
                thread.join(TimeUnit.NANOSECONDS.toMillis(INTRUDER_TIMEOUT_NS));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while stopping the intruder", ex);
            }
            if (thread.isAlive())
            {
                throw new AssertionError("the intruder did not stop within " + TimeUnit.NANOSECONDS.toMillis(INTRUDER_TIMEOUT_NS) + " ms");
            }
            if (null != failure)
            {
                throw new AssertionError("the intruder failed", failure);
            }
            final List<StreamReport> reports = new ArrayList<>(streams.size());
            for (int i = 0; i < streams.size(); i++)
            {
                reports.add(streams.get(i).report(sentAtEnd[i] - sentBefore[i]));
            }
            return reports;
        }

        private void inject()
        {
            try
            {
                final SplittableRandom random = new SplittableRandom(SEED);
                streams.forEach(ForgedStream::open);
                while (running)
                {
                    for (final ForgedStream stream : streams)
                    {
                        int published = 0;
                        while (published < BURST && stream.offerOne(random))
                        {
                            published++;
                        }
                    }
                    LockSupport.parkNanos(OFFER_INTERVAL_NS);
                }
                streams.forEach(ForgedStream::retire);
            }
            catch (final RuntimeException | AssertionError ex)
            {
                failure = ex;
            }
        }

        @Override
        public void close()
        {
            running = false;
            try
            {
                thread.join(TimeUnit.NANOSECONDS.toMillis(INTRUDER_TIMEOUT_NS));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            CloseHelper.quietClose(aeron);
        }
    }

    /** The intruder's publications on one of the victim's streams; used by the intruder's thread alone. */
    private static final class ForgedStream
    {
        private final Aeron aeron;
        private final String name;
        private final int streamId;
        private final FrameCodec forger;
        private final UnsafeBuffer frame = new UnsafeBuffer(new byte[MAX_RANDOM_FRAME_LENGTH]);
        private final UnsafeBuffer payload = new UnsafeBuffer(new byte[MAX_FORGED_PAYLOAD_LENGTH]);
        private final byte[] randomBytes = new byte[MAX_RANDOM_FRAME_LENGTH];
        /** Frames published; read by the test's thread while the intruder runs. */
        private final AtomicLong sent = new AtomicLong();
        private ExclusivePublication publication;
        private long sentRandom;
        private long sentForgedData;
        private long sentForgedAbort;
        private long backPressured;
        private long notConnected;
        private long adminAction;
        private int sessions;
        private int imagesOnVictim;
        private long publishedBytes;
        private long consumedBytes;

        ForgedStream(final Aeron aeron, final String name, final int streamId, final FrameCodec forger)
        {
            this.aeron = aeron;
            this.name = name;
            this.streamId = streamId;
            this.forger = forger;
        }

        void open()
        {
            publication = aeron.addExclusivePublication(INTRUDER_CHANNEL, streamId);
            sessions++;
        }

        /**
         * Offers one frame of a random kind; a session the victim has stopped taking is replaced, up to
         * {@link #MAX_SESSIONS}.
         *
         * @param random source of the frame's kind and bytes.
         * @return whether the frame was published.
         */
        boolean offerOne(final SplittableRandom random)
        {
            final int kind = random.nextInt(3);
            final long result = switch (kind)
            {
                case 0 -> offerRandomBytes(random);
                case 1 -> offerForged(FrameHeaderFlyweight.TYPE_DATA, random);
                default -> offerForged(FrameHeaderFlyweight.TYPE_ABORT, random);
            };
            if (result > 0)
            {
                sent.incrementAndGet();
                switch (kind)
                {
                    case 0 -> sentRandom++;
                    case 1 -> sentForgedData++;
                    default -> sentForgedAbort++;
                }
                if (0 != kind)
                {
                    forger.frameSent();
                }
                return true;
            }
            if (Publication.BACK_PRESSURED == result)
            {
                backPressured++;
                if (sessions < MAX_SESSIONS)
                {
                    retire();
                    open();
                }
            }
            else if (Publication.NOT_CONNECTED == result)
            {
                notConnected++;
            }
            else if (Publication.ADMIN_ACTION == result)
            {
                adminAction++;
            }
            else
            {
                throw new IllegalStateException(name + ": the intruder's publication refused an offer with " + result);
            }
            return false;
        }

        private long offerRandomBytes(final SplittableRandom random)
        {
            final int length = random.nextInt(1, MAX_RANDOM_FRAME_LENGTH + 1);
            random.nextBytes(randomBytes);
            frame.putBytes(0, randomBytes, 0, length);
            return publication.offer(frame, 0, length);
        }

        private long offerForged(final byte type, final SplittableRandom random)
        {
            final int length;
            if (FrameHeaderFlyweight.TYPE_ABORT == type)
            {
                length = FORGED_ABORT_REASON.length;
                payload.putBytes(0, FORGED_ABORT_REASON);
            }
            else
            {
                length = random.nextInt(MIN_FORGED_PAYLOAD_LENGTH, MAX_FORGED_PAYLOAD_LENGTH + 1);
                random.nextBytes(randomBytes);
                payload.putBytes(0, randomBytes, 0, length);
            }
            final DirectBuffer header = forger.encode(type, payload, 0, length);
            return publication.offer(header, 0, FrameHeaderFlyweight.HEADER_LENGTH,
                forger.outgoingPayload(), forger.outgoingPayloadOffset(), length, null);
        }

        /**
         * Records how far the victim read the current session, then closes it: the victim's subscription is the
         * only one on the stream, so the session's subscriber-position counters are the victim's image of it
         * (an IPC image of a new publication joins at position 0).
         */
        void retire()
        {
            publishedBytes += publication.position();
            final int sessionId = publication.sessionId();
            final CountersReader counters = aeron.countersReader();
            counters.forEach((counterId, typeId, key, label) ->
            {
                if (AeronCounters.DRIVER_SUBSCRIBER_POSITION_TYPE_ID == typeId &&
                    key.getInt(StreamCounter.STREAM_ID_OFFSET) == streamId &&
                    key.getInt(StreamCounter.SESSION_ID_OFFSET) == sessionId)
                {
                    imagesOnVictim++;
                    consumedBytes += counters.getCounterValue(counterId);
                }
            });
            publication.close();
        }

        StreamReport report(final long sentDuringAllReduces)
        {
            return new StreamReport(name, streamId, sentRandom, sentForgedData, sentForgedAbort, sentDuringAllReduces,
                backPressured, notConnected, adminAction, sessions, imagesOnVictim, publishedBytes, consumedBytes);
        }
    }
}
