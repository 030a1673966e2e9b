package io.qring.channel.epr;

import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LinkLedger;
import io.qring.channel.noise.PauliChannel;
import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EprPoolTest
{
    private static final String LINK = "0->1";

    private static EprPool.Builder pool(final EprPool.Side side, final long capacity)
    {
        return EprPool.builder().linkName(LINK).side(side).capacity(capacity).linkSeed(1234);
    }

    @Test
    void shouldRejectInvalidSettingsNamingTheCause()
    {
        assertAll(
            () -> assertRejected(() -> pool(EprPool.Side.SENDER, 0).build(), "capacity > 0 pairs, got 0"),
            () -> assertRejected(() -> pool(EprPool.Side.SENDER, -5).build(), "capacity > 0 pairs, got -5"),
            () -> assertRejected(() -> pool(EprPool.Side.SENDER, 8).linkName(" ").build(), "link name"),
            () -> assertRejected(() -> pool(EprPool.Side.SENDER, 8).verificationFraction(0.95).build(), "verification fraction"),
            () -> assertRejected(() -> pool(EprPool.Side.SENDER, 8).verificationFraction(Double.NaN).build(), "verification fraction"),
            () -> assertRejected(() -> pool(EprPool.Side.SENDER, 8).blockTimeout(0, TimeUnit.SECONDS).build(), "block timeout"),
            () -> assertRejected(() -> pool(EprPool.Side.SENDER, 8).ledger(new LinkLedger("1->0")).build(), "ledger of link '1->0'"),
            () -> assertRejected(() -> pool(EprPool.Side.SENDER, 8).memory(1, 3), "T2"),
            () -> assertRejected(() -> pool(EprPool.Side.RECEIVER, 8).distributionChannel(PauliChannel.amplitudeDamping(0.1)).memory(1, 1)
                .build(), "EPR pool of link '" + LINK + "': amplitude damping in more than one stage (the distribution channel, " +
                "the T1/T2 memory (it damps both stored halves))"));
        final NullPointerException ex = assertThrows(NullPointerException.class, () -> pool(null, 8).build());
        assertTrue(ex.getMessage().contains("side"));
    }

    @Test
    void shouldStartEmptyAndFillToCapacity()
    {
        final EprPool pool = pool(EprPool.Side.SENDER, 1000).build();
        assertEquals(0, pool.available());
        assertEquals(1000, pool.refill());
        assertEquals(1000, pool.available());
        assertEquals(0, pool.refill());
        assertEquals(0, pool.take(300));
        assertEquals(300, pool.refill());
        assertEquals(1000, pool.available());
        assertEquals(2, pool.rounds());
    }

    @Test
    void shouldHandOutContiguousRangesThatNeverOverlap()
    {
        final EprPool pool = pool(EprPool.Side.SENDER, 500).exhaustionPolicy(ExhaustionPolicy.REFILL_ON_DEMAND).build();
        final SplittableRandom random = new SplittableRandom(5);
        long expectedFirst = 0;
        for (int i = 0; i < 2000; i++)
        {
            final long pairs = random.nextLong(0, 501);
            final long first = pool.take(pairs);
            assertEquals(expectedFirst, first);
            expectedFirst += pairs;
            assertEquals(expectedFirst, pool.nextPair());
        }
    }

    @Test
    void shouldFailWithATypedExceptionUnderPolicyFail()
    {
        final EprPool pool = pool(EprPool.Side.SENDER, 100).build();
        pool.refill();
        pool.take(60);
        final EprPoolExhaustedException ex = assertThrows(EprPoolExhaustedException.class, () -> pool.take(41));
        assertEquals(LINK, ex.link());
        assertEquals(41, ex.requested());
        assertEquals(40, ex.available());
        assertEquals(ExhaustionPolicy.FAIL, ex.policy());
        assertTrue(ex.getMessage().contains("link '0->1'") && ex.getMessage().contains("requested 41") &&
            ex.getMessage().contains("40 available"), ex.getMessage());
        assertEquals(60, pool.nextPair(), "a failed take consumes nothing");
        assertEquals(60, pool.take(40));
    }

    @Test
    void shouldRejectRequestsLargerThanTheCapacity()
    {
        final EprPool pool = pool(EprPool.Side.SENDER, 100).exhaustionPolicy(ExhaustionPolicy.REFILL_ON_DEMAND).build();
        assertRejected(() -> pool.take(101), "capacity 100");
        assertRejected(() -> pool.take(-1), "cannot take -1");
    }

    @Test
    void shouldRefillOnDemandCountingOfflineQubitsOnTheSenderOnly()
    {
        final LinkLedger ledger = new LinkLedger(LINK);
        final EprPool sender = pool(EprPool.Side.SENDER, 100).exhaustionPolicy(ExhaustionPolicy.REFILL_ON_DEMAND).ledger(ledger).build();
        final EprPool receiver = pool(EprPool.Side.RECEIVER, 100).exhaustionPolicy(ExhaustionPolicy.REFILL_ON_DEMAND)
            .ledger(ledger).build();
        for (int i = 0; i < 7; i++)
        {
            sender.take(30);
            receiver.take(30);
        }
        assertEquals(3, sender.rounds());
        assertEquals(3, receiver.rounds());
        assertEquals(100 + 100 + 100, ledger.get(LedgerCounter.EPR_PRE_SHARED), "a take that runs short distributes a whole batch");
        assertEquals(300, ledger.get(LedgerCounter.OFFLINE_QUBITS));
        assertEquals(0, ledger.get(LedgerCounter.EPR_SACRIFICED));
        assertEquals(90, sender.available());
    }

    /**
     * A repair may be taken between two frames or after them, depending on thread timing. Topping up
     * at each shortfall made the batches (and so the sacrificed pairs) depend on that order: takes of
     * 30, 50, 30, 50, 30 distributed 100 + 80 + 80 pairs, the same takes as 50, 30, 30, 30, 50 distributed
     * 100 + 80 + 60.
     */
    @Test
    void shouldDistributeTheSameBatchesWhateverTheOrderOfTheTakes()
    {
        final List<List<DistributedBatch>> batchesPerOrder = new ArrayList<>();
        for (final long[] takes : new long[][]{{30, 50, 30, 50, 30}, {50, 30, 30, 30, 50}, {30, 30, 30, 50, 50}})
        {
            final List<DistributedBatch> batches = new ArrayList<>();
            final EprPool pool = pool(EprPool.Side.SENDER, 100).exhaustionPolicy(ExhaustionPolicy.REFILL_ON_DEMAND)
                .verificationFraction(0.1).clock(new CachedNanoClock()).distributionListener((p, batch) -> batches.add(batch)).build();
            for (final long take : takes)
            {
                pool.take(take);
            }
            pool.refill();
            batchesPerOrder.add(batches);
        }
        final List<DistributedBatch> expected = batchesPerOrder.get(0);
        assertEquals(List.of(0L, 100L, 200L), expected.stream().map(DistributedBatch::firstPair).toList());
        assertEquals(List.of(100L, 100L, 90L), expected.stream().map(DistributedBatch::usablePairs).toList());
        assertEquals(expected, batchesPerOrder.get(1));
        assertEquals(expected, batchesPerOrder.get(2));
    }

    /**
     * Reserving before each take, as both ends of a quantum link do so that a batch is verified before
     * any of its pairs carry data, distributes exactly the batches the takes alone would, at the moment
     * of the reserve, and hands out nothing.
     */
    @Test
    void shouldDistributeOnAReserveTheBatchTheTakeWouldAndTakeNothing()
    {
        final long[] takes = {30, 50, 30, 50, 30};
        final List<DistributedBatch> takenOnly = new ArrayList<>();
        final EprPool plain = pool(EprPool.Side.SENDER, 100).exhaustionPolicy(ExhaustionPolicy.REFILL_ON_DEMAND)
            .verificationFraction(0.1).clock(new CachedNanoClock()).distributionListener((p, batch) -> takenOnly.add(batch)).build();
        final List<DistributedBatch> reserved = new ArrayList<>();
        final EprPool reserving = pool(EprPool.Side.SENDER, 100).exhaustionPolicy(ExhaustionPolicy.REFILL_ON_DEMAND)
            .verificationFraction(0.1).clock(new CachedNanoClock()).distributionListener((p, batch) -> reserved.add(batch)).build();
        final List<Integer> batchesAtReserve = new ArrayList<>();
        for (final long take : takes)
        {
            final long next = reserving.nextPair();
            reserving.reserve(take);
            assertEquals(next, reserving.nextPair(), "a reserve takes no pair");
            batchesAtReserve.add(reserved.size());
            assertEquals(plain.take(take), reserving.take(take));
            assertEquals(batchesAtReserve.get(batchesAtReserve.size() - 1), reserved.size(),
                "the take after a reserve distributes nothing");
        }
        assertEquals(takenOnly, reserved);
        assertEquals(List.of(1, 1, 2, 2, 2), batchesAtReserve);
        assertEquals(plain.available(), reserving.available());

        final EprPool failing = pool(EprPool.Side.SENDER, 100).build();
        assertThrows(EprPoolExhaustedException.class, () -> failing.reserve(1));
        assertThrows(IllegalArgumentException.class, () -> reserving.reserve(101));
        assertThrows(IllegalArgumentException.class, () -> reserving.reserve(-1));
    }

    @Test
    void shouldSacrificeTheConfiguredFractionOnTopOfTheUsablePairs()
    {
        final LinkLedger ledger = new LinkLedger(LINK);
        final List<DistributedBatch> batches = new ArrayList<>();
        final EprPool pool = pool(EprPool.Side.SENDER, 1000).verificationFraction(0.2).ledger(ledger)
            .distributionListener((p, batch) -> batches.add(batch)).build();
        pool.refill();
        pool.take(999);
        pool.refill();
        assertEquals(1000, pool.available());
        assertEquals(List.of(new DistributedBatch(0, 0, 1000, 250, batches.get(0).distributionTimeNs()),
            new DistributedBatch(1, 1000, 999, 250, batches.get(1).distributionTimeNs())), batches);
        assertEquals(1000 + 250 + 999 + 250, ledger.get(LedgerCounter.EPR_PRE_SHARED));
        assertEquals(500, ledger.get(LedgerCounter.EPR_SACRIFICED));
        assertEquals(0.2, (double)batches.get(0).sacrificedPairs() / batches.get(0).distributedPairs(), 1e-15,
            "the first batch sacrifices the configured fraction of what it distributes");
    }

    @Test
    void shouldDistributeIdenticalBatchesOnBothEndpoints()
    {
        final List<DistributedBatch> sent = new ArrayList<>();
        final List<DistributedBatch> received = new ArrayList<>();
        final EprPool sender = pool(EprPool.Side.SENDER, 640).verificationFraction(0.1)
            .exhaustionPolicy(ExhaustionPolicy.REFILL_ON_DEMAND).distributionListener((p, b) -> sent.add(b)).build();
        final EprPool receiver = pool(EprPool.Side.RECEIVER, 640).verificationFraction(0.1)
            .exhaustionPolicy(ExhaustionPolicy.REFILL_ON_DEMAND).distributionListener((p, b) -> received.add(b)).build();
        final SplittableRandom random = new SplittableRandom(17);
        for (int i = 0; i < 500; i++)
        {
            final long pairs = random.nextLong(1, 641);
            assertEquals(sender.take(pairs), receiver.take(pairs));
        }
        assertEquals(sent.size(), received.size());
        for (int i = 0; i < sent.size(); i++)
        {
            final DistributedBatch s = sent.get(i);
            final DistributedBatch r = received.get(i);
            assertEquals(List.of(s.round(), s.firstPair(), s.usablePairs(), s.sacrificedPairs()),
                List.of(r.round(), r.firstPair(), r.usablePairs(), r.sacrificedPairs()));
        }
    }

    @Test
    void shouldGiveUpBlockingAtTheDeadline()
    {
        final EprPool pool = pool(EprPool.Side.RECEIVER, 100).exhaustionPolicy(ExhaustionPolicy.BLOCK)
            .blockTimeout(50, TimeUnit.MILLISECONDS).build();
        final long start = System.nanoTime();
        final EprPoolExhaustedException ex = assertThrows(EprPoolExhaustedException.class, () -> pool.take(10));
        final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(ExhaustionPolicy.BLOCK, ex.policy());
        assertTrue(ex.getMessage().contains("no refill within 50 ms"), ex.getMessage());
        assertTrue(elapsedMs >= 50 && elapsedMs < 5_000, "waited " + elapsedMs + " ms");
    }

    @Test
    void shouldWakeABlockedTakeWhenAnotherThreadRefills() throws Exception
    {
        final EprPool pool = pool(EprPool.Side.RECEIVER, 100).exhaustionPolicy(ExhaustionPolicy.BLOCK)
            .blockTimeout(20, TimeUnit.SECONDS).build();
        final AtomicReference<Thread> taker = new AtomicReference<>();
        final ExecutorService executor = Executors.newSingleThreadExecutor();
        try
        {
            final Future<Long> first = executor.submit(() ->
            {
                taker.set(Thread.currentThread());
                return pool.take(80);
            });
            awaitWaiting(taker);
            assertFalse(first.isDone());
            pool.refill();
            assertEquals(0L, first.get(20, TimeUnit.SECONDS));
            assertEquals(20, pool.available());
        }
        finally
        {
            executor.shutdownNow();
        }
    }

    @Test
    void shouldStopBlockingWhenInterrupted() throws Exception
    {
        final EprPool pool = pool(EprPool.Side.RECEIVER, 100).exhaustionPolicy(ExhaustionPolicy.BLOCK)
            .blockTimeout(20, TimeUnit.SECONDS).build();
        final AtomicReference<Throwable> thrown = new AtomicReference<>();
        final AtomicBoolean interruptFlagKept = new AtomicBoolean();
        final Thread taker = new Thread(() ->
        {
            try
            {
                pool.take(1);
            }
            catch (final RuntimeException ex)
            {
                thrown.set(ex);
                interruptFlagKept.set(Thread.currentThread().isInterrupted());
            }
        });
        taker.start();
        awaitWaiting(taker);
        taker.interrupt();
        taker.join(TimeUnit.SECONDS.toMillis(20));
        assertFalse(taker.isAlive());
        assertInstanceOf(EprPoolExhaustedException.class, thrown.get());
        assertTrue(thrown.get().getMessage().contains("interrupted"), thrown.get().getMessage());
        assertTrue(interruptFlagKept.get());
    }

    @Test
    void shouldTrackTheDistributionTimeAndStorageOfEachLiveBatch()
    {
        final CachedNanoClock clock = new CachedNanoClock();
        final PauliChannel werner = PauliChannel.werner(0.97);
        final MemoryDecoherence memory = new MemoryDecoherence(2, 1.5);
        final EprPool pool = pool(EprPool.Side.RECEIVER, 100).clock(clock).distributionChannel(werner).memory(memory).build();
        clock.update(1_000);
        pool.refill();
        for (int i = 1; i <= 20; i++)
        {
            pool.take(5);
            clock.update(1_000 + i * 1_000_000L);
            pool.refill();
        }
        assertEquals(1_000, pool.distributionTimeNs(95), "pairs of the most recent take stay known");
        assertEquals(100, pool.batchEndPair(95));
        assertEquals(100, pool.take(0));
        assertRejected(() -> pool.distributionTimeNs(99), "pair 99");
        for (int i = 1; i <= 20; i++)
        {
            final long pair = 100 + (i - 1) * 5L;
            assertEquals(1_000 + i * 1_000_000L, pool.distributionTimeNs(pair + 4), "batch " + i);
            assertEquals(pair + 5, pool.batchEndPair(pair), "batch " + i);
        }
        assertRejected(() -> pool.distributionTimeNs(200), "pair 200");
        clock.update(1_000 + 500_000_000L);
        final PauliChannel held = pool.heldChannel(1_000);
        final PauliChannel expected = memory.apply(werner, 0.5);
        assertEquals(expected, held);
    }

    @Test
    void shouldReturnTheDistributionChannelWhenPairsDoNotDecohere()
    {
        final EprPool pool = pool(EprPool.Side.RECEIVER, 10).distributionChannel(PauliChannel.werner(0.9)).build();
        assertFalse(pool.hasMemoryDecoherence());
        assertEquals(PauliChannel.werner(0.9), pool.heldChannel(Long.MIN_VALUE));
    }

    private static void awaitWaiting(final AtomicReference<Thread> thread)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (thread.get() == null)
        {
            assertTrue(System.nanoTime() < deadline, "taker never started");
            Thread.onSpinWait();
        }
        awaitWaiting(thread.get());
    }

    private static void awaitWaiting(final Thread thread)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (thread.getState() != Thread.State.TIMED_WAITING)
        {
            assertTrue(System.nanoTime() < deadline, "taker never started waiting");
            Thread.onSpinWait();
        }
    }

    private static void assertRejected(final Executable executable, final String cause)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, executable);
        assertTrue(ex.getMessage().contains(cause), "message '" + ex.getMessage() + "' should contain " + cause);
    }
}
