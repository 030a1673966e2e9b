package io.qring.allreduce.quantum;

import io.qring.allreduce.LocalRing;
import io.qring.allreduce.NonFiniteValueException;
import io.qring.allreduce.ReduceOp;
import io.qring.allreduce.RingAllReduce;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import io.qring.allreduce.link.DelegatingLink;
import io.qring.allreduce.link.FrameHeaderFlyweight;
import io.qring.allreduce.link.InMemoryNetwork;
import io.qring.allreduce.link.Link;
import io.qring.allreduce.link.LinkTimeoutException;
import io.qring.allreduce.link.LinkWrapper;
import io.qring.allreduce.link.MessagePipe;
import io.qring.channel.codec.SuperdenseEncoder;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerDeltas;
import io.qring.channel.ledger.LinkLedger;
import io.qring.channel.ledger.LedgerSnapshot;
import io.qring.channel.noise.PauliChannel;
import io.qring.channel.verify.InterceptResendEavesdropper;
import io.qring.channel.verify.VerificationResult;
import io.qring.channel.verify.VerificationSettings;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.qring.allreduce.RingTestSupport.context;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuantumLinkTest
{
    private static final long RUN_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);
    private static final int LENGTH = 50_001;
    private static final long SEED = 7;

    @ParameterizedTest(name = "{0} ranks over {1}")
    @MethodSource("rings")
    void shouldGiveBitIdenticalResultsToTheClassicalRingAndHalveOnlineTraffic(final int worldSize, final TransportKind transport)
    {
        final RingRun classical = run(context(transport, worldSize), 2);
        final RingRun quantum = run(context(transport, worldSize).linkWrapper(QuantumLinkSettings.builder().build().wrapper()), 2);

        assertSameResults(classical.results, quantum.results);
        final List<String> dataLinks = classical.lastOperation.keySet().stream().filter(l -> !l.contains("return")).toList();
        assertEquals(dataLinks, List.copyOf(quantum.lastOperation.keySet()));
        for (final String link : dataLinks)
        {
            final LedgerSnapshot c = classical.lastOperation.get(link);
            final LedgerSnapshot q = quantum.lastOperation.get(link);
            assertEquals(c.get(LedgerCounter.PAYLOAD_BITS), q.get(LedgerCounter.PAYLOAD_BITS), link);
            assertEquals(c.get(LedgerCounter.PAYLOAD_BITS), 2 * q.get(LedgerCounter.ONLINE_QUBITS), link);
            assertEquals(q.get(LedgerCounter.ONLINE_QUBITS), q.get(LedgerCounter.EPR_CONSUMED), link);
            assertEquals(0, q.get(LedgerCounter.RETRANSMITTED_QUBITS), link);
            if (transport != TransportKind.IN_MEMORY)
            {
                // In-memory pipes are sized to exactly one chunk, so there the quantum header shrinks the chunks.
                assertEquals(c.get(LedgerCounter.CLASSICAL_EQUIVALENT_BITS), q.get(LedgerCounter.CLASSICAL_EQUIVALENT_BITS), link);
            }
            assertEquals(q.get(LedgerCounter.EPR_PRE_SHARED), q.get(LedgerCounter.OFFLINE_QUBITS), link);
            assertEquals(2.0, q.goodputBitsPerQubit(), 0.0, link);
            assertTrue(quantum.links.get(link).get(LedgerCounter.EPR_SACRIFICED) > 0, link);
            final LedgerSnapshot total = quantum.links.get(link);
            assertEquals(QuantumLinkSettings.DEFAULT_POOL_CAPACITY_PAIRS, total.get(LedgerCounter.EPR_PRE_SHARED) -
                total.get(LedgerCounter.EPR_SACRIFICED) - total.get(LedgerCounter.EPR_CONSUMED),
                link + ": after a collective the pool is topped up to capacity for the next one");
        }
    }

    /**
     * Frames a quantum link's transport drops (runts too short for a frame header, injected on the in-memory
     * edge of link 0->1 in both directions once the ring is up) are counted in the quantum link's own
     * ledger, the one the ring reports, by the end that dropped them; the collective's result is unaffected.
     */
    @Test
    void shouldCountTheFramesItsTransportDroppedInTheQuantumLinksLedger()
    {
        final InMemoryNetwork network = new InMemoryNetwork(2, 16 * 1024 + FrameHeaderFlyweight.HEADER_LENGTH,
            InMemoryNetwork.DEFAULT_QUEUE_CAPACITY);
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, 2).inMemoryNetwork(network)
            .linkWrapper(QuantumLinkSettings.builder().build().wrapper())))
        {
            final UnsafeBuffer runt = new UnsafeBuffer(new byte[10]);
            for (int i = 0; i < 3; i++)
            {
                assertEquals(MessagePipe.OfferStatus.SENT, network.nextPipe(0).offer(runt, 0, 10, runt, 0, 0), "to rank 1's receiver");
            }
            for (int i = 0; i < 2; i++)
            {
                assertEquals(MessagePipe.OfferStatus.SENT, network.previousPipe(1).offer(runt, 0, 10, runt, 0, 0),
                    "to rank 0's sender, on link 0->1's return direction");
            }

            final List<float[]> results = ring.run(rank ->
            {
                final float[] data = input(rank.rank(), LENGTH);
                rank.allReduce(data, ReduceOp.SUM);
                return data;
            }, RUN_TIMEOUT_NS);

            final float[] first = input(0, LENGTH);
            final float[] second = input(1, LENGTH);
            for (int i = 0; i < LENGTH; i++)
            {
                first[i] += second[i];
            }
            assertArrayEquals(first, results.get(0));
            assertArrayEquals(first, results.get(1));
            final Map<String, Long> rejected = new TreeMap<>();
            for (final RingAllReduce rank : List.of(ring.rank(0), ring.rank(1)))
            {
                for (final LedgerSnapshot end : rank.linkLedgers())
                {
                    rejected.put("rank " + rank.rank() + " " + end.link(), end.get(LedgerCounter.REJECTED_FRAMES));
                }
            }
            assertEquals(Map.of("rank 0 0->1", 2L, "rank 0 1->0", 0L, "rank 1 1->0", 0L, "rank 1 0->1", 3L), rejected);
        }
    }

    /**
     * A quantum link's counts are split between its ends (the receiver counts its acknowledgements under
     * the link's name): differencing every rank's link ends gives each link's whole traffic per collective,
     * and the gather hands every rank each directed link once, both ends merged.
     */
    @Test
    void shouldCountEachQuantumLinkOnceWithBothEndsMergedInDeltasAndTheGather()
    {
        final int worldSize = 3;
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, worldSize)
            .linkWrapper(QuantumLinkSettings.builder().build().wrapper())))
        {
            final LedgerDeltas deltas = new LedgerDeltas();
            deltas.next(allLinkEnds(ring, RingAllReduce::linkLedgers));
            for (int collective = 0; collective < 2; collective++)
            {
                ring.run(rank ->
                {
                    rank.allReduce(input(rank.rank(), LENGTH), ReduceOp.SUM);
                    return null;
                }, RUN_TIMEOUT_NS);
                final List<LedgerSnapshot> ends = allLinkEnds(ring, RingAllReduce::lastOperationLedgers);
                final List<LedgerSnapshot> cumulativeEnds = allLinkEnds(ring, RingAllReduce::linkLedgers);

                final List<LedgerSnapshot> delta = deltas.next(cumulativeEnds);
                final List<RingAllReduce.RingLedgers> gathered = ring.run(RingAllReduce::gatherRingLedgers, RUN_TIMEOUT_NS);

                final List<String> links = List.of("0->1", "2->0", "1->2");
                assertEquals(links, delta.stream().map(LedgerSnapshot::link).toList());
                for (int i = 0; i < links.size(); i++)
                {
                    final String link = links.get(i);
                    final List<LedgerSnapshot> ofLink = ends.stream().filter(end -> end.link().equals(link)).toList();
                    assertEquals(2, ofLink.size(), link + ": a sending and a receiving end");
                    final LedgerSnapshot receiving = ofLink.stream()
                        .filter(end -> 0 == end.get(LedgerCounter.PAYLOAD_BITS)).findFirst().orElseThrow();
                    assertTrue(receiving.get(LedgerCounter.ONLINE_CLASSICAL_BITS) > 0, link + ": the receiver's acknowledgements");
                    final LedgerSnapshot whole = LedgerSnapshot.merge(link, ofLink);
                    assertEquals(whole.counts(), delta.get(i).counts(), link + ", collective " + collective);
                    assertEquals(2L * (worldSize - 1) * (LENGTH / worldSize) * Float.SIZE +
                        (worldSize - 1) * 8L * RingAllReduce.DESCRIPTOR_LENGTH, whole.get(LedgerCounter.PAYLOAD_BITS),
                        link + ": 2(N-1)/N·M floats and N-1 descriptors");
                    for (final RingAllReduce.RingLedgers view : gathered)
                    {
                        assertEquals(links, view.lastOperation().stream().map(LedgerSnapshot::link).toList());
                        assertEquals(links, view.cumulative().stream().map(LedgerSnapshot::link).toList());
                        assertEquals(whole.counts(), view.lastOperation().get(i).counts(), link);
                        assertEquals(LedgerSnapshot.mergeByLink(cumulativeEnds).get(i).counts(), view.cumulative().get(i).counts(), link);
                    }
                }
                deltas.next(allLinkEnds(ring, RingAllReduce::linkLedgers));
            }
        }
    }

    private static List<LedgerSnapshot> allLinkEnds(final LocalRing ring, final Function<RingAllReduce, List<LedgerSnapshot>> view)
    {
        final List<LedgerSnapshot> ends = new ArrayList<>();
        for (final RingAllReduce rank : ring.ranks())
        {
            ends.addAll(view.apply(rank));
        }
        return ends;
    }

    /**
     * Receivers acknowledge in batches of half a window; with a window of 64 none of the ~22 messages a
     * link carries in this all-reduce completes a batch, so only the engine's flush after the
     * collective tells each sender that nothing needs resending. Without it every closing sender would
     * wait out its drain timeout.
     */
    @Test
    void shouldAcknowledgeEveryMessageBeforeTheRingClosesWithoutWaiting()
    {
        final LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, 3)
            .linkWrapper(QuantumLinkSettings.builder().window(64).build().wrapper()));
        final long closeNs;
        try
        {
            ring.run(rank ->
            {
                rank.allReduce(input(rank.rank(), LENGTH), ReduceOp.SUM);
                return null;
            }, RUN_TIMEOUT_NS);
        }
        finally
        {
            final long start = System.nanoTime();
            ring.close();
            closeNs = System.nanoTime() - start;
        }
        assertTrue(closeNs < QuantumLinkSettings.DEFAULT_CONTROL_TIMEOUT_NS / 4,
            "closing took " + TimeUnit.NANOSECONDS.toMillis(closeNs) + " ms: some sender waited for acknowledgements");
    }

    /**
     * A collective rejected on a NaN still moved its descriptors; the engine flushes after it too, so
     * closing does not wait for their acknowledgements.
     */
    @Test
    void shouldCloseWithoutWaitingAfterACollectiveRejectedOnANonFiniteInput()
    {
        final LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, 3)
            .linkWrapper(QuantumLinkSettings.builder().build().wrapper()));
        final long closeNs;
        try
        {
            final List<LocalRing.Outcome<Object>> outcomes = ring.runEach(rank ->
            {
                final float[] data = input(rank.rank(), LENGTH);
                data[7] = Float.NaN;
                rank.allReduce(data, ReduceOp.SUM);
                return null;
            }, RUN_TIMEOUT_NS);
            outcomes.forEach(outcome -> assertInstanceOf(NonFiniteValueException.class, outcome.failure()));
        }
        finally
        {
            final long start = System.nanoTime();
            ring.close();
            closeNs = System.nanoTime() - start;
        }
        assertTrue(closeNs < QuantumLinkSettings.DEFAULT_CONTROL_TIMEOUT_NS / 4,
            "closing took " + TimeUnit.NANOSECONDS.toMillis(closeNs) + " ms: some sender waited for acknowledgements");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("noisyLinks")
    void shouldDeliverExactlyTheNoiselessResultOverNoisyLinks(final String name, final QuantumLinkSettings.Builder noisy)
    {
        final RingRun noiseless = run(context(TransportKind.IN_MEMORY, 3).linkWrapper(QuantumLinkSettings.builder().build().wrapper()), 2);
        final RingRun repaired = run(context(TransportKind.IN_MEMORY, 3).linkWrapper(noisy.build().wrapper()), 2);

        assertSameResults(noiseless.results, repaired.results);
        final LedgerSnapshot ring = LedgerSnapshot.merge("ring", repaired.links.values());
        assertTrue(ring.get(LedgerCounter.RETRANSMITTED_QUBITS) > 0, "noise must have forced repairs: " + ring);
        assertTrue(ring.goodputBitsPerQubit() < 2.0 && ring.goodputBitsPerQubit() > 0.5, ring.toString());
        assertTrue(ring.capacityBitsPerQubit() < 2.0, ring.toString());
        assertEquals(noiseless.links.values().stream().mapToLong(s -> s.get(LedgerCounter.PAYLOAD_BITS)).sum(),
            ring.get(LedgerCounter.PAYLOAD_BITS));
    }

    /**
     * DESIGN §7: a run that reports bit counts is reproduced exactly from its seed and config. Errors
     * are drawn per transmission, not in the order frames happen to arrive, pools distribute whole
     * batches, blocks adapt between collectives, acknowledgements follow deliveries and a collective ends
     * only once everything is acknowledged, so thread timing changes no counter, in the cumulative ledgers
     * or in those of the last all-reduce. The small pool makes each collective distribute several batches.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("noisyLinks")
    void shouldReproduceEveryLedgerCounterFromTheSeed(final String name, final QuantumLinkSettings.Builder noisy)
    {
        final QuantumLinkSettings settings = noisy.poolCapacityPairs(1 << 17).build();
        final List<Map<String, LedgerSnapshot>> first = ledgersAfterClose(context(TransportKind.IPC, 3).linkWrapper(settings.wrapper()), 3);
        final List<Map<String, LedgerSnapshot>> second = ledgersAfterClose(context(TransportKind.IPC, 3).linkWrapper(settings.wrapper()), 3);

        assertTrue(first.get(1).values().stream().anyMatch(l -> l.get(LedgerCounter.RETRANSMITTED_QUBITS) > 0), first.toString());
        assertEquals(first.get(0), second.get(0), "cumulative ledgers");
        assertEquals(first.get(1), second.get(1), "ledgers of the last all-reduce");
    }

    /** @return the ring's cumulative ledgers by link after it closed, and those of its last all-reduce. */
    private static List<Map<String, LedgerSnapshot>> ledgersAfterClose(final RingContext context, final int operations)
    {
        final LocalRing ring = LocalRing.start(context);
        try
        {
            ring.run(rank ->
            {
                for (int op = 0; op < operations; op++)
                {
                    rank.allReduce(input(rank.rank() + 31 * op, LENGTH), ReduceOp.AVERAGE);
                }
                return null;
            }, RUN_TIMEOUT_NS);
        }
        finally
        {
            ring.close();
        }
        return List.of(byLink(ring.ranks().stream().flatMap(rank -> rank.linkLedgers().stream()).toList()),
            byLink(ring.ranks().stream().flatMap(rank -> rank.lastOperationLedgers().stream()).toList()));
    }

    /**
     * T1/T2 memory alone, on a manual clock: pairs distributed at time 0 and used at once decode without
     * error; the same pairs used after 10 ms of storage (T1 = 1 s, T2 = 0.5 s, both halves stored: symbol
     * error rate 1 − p_I ≈ 2.5 %, 1.2 % per half; the exact map is MemoryDecoherenceTest's) need repairs,
     * and the result is still exactly the noiseless one.
     */
    @Test
    void shouldRepairWhatStoredPairsLoseToT1T2MemoryAndNothingWithoutStorage()
    {
        final CachedNanoClock clock = new CachedNanoClock();
        final QuantumLinkSettings memoryOnly = QuantumLinkSettings.builder().memory(1.0, 0.5).clock(clock)
            .poolCapacityPairs(1 << 22).build();
        final RingRun noiseless = run(context(TransportKind.IN_MEMORY, 3).linkWrapper(QuantumLinkSettings.builder().build().wrapper()), 2);
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, 3).linkWrapper(memoryOnly.wrapper())))
        {
            ring.run(rank -> allReduceOperation(rank, 0), RUN_TIMEOUT_NS);
            final long freshRepairs = retransmittedQubits(ring);
            clock.update(TimeUnit.MILLISECONDS.toNanos(10));
            final List<float[]> results = ring.run(rank -> allReduceOperation(rank, 1), RUN_TIMEOUT_NS);

            assertEquals(0, freshRepairs, "pairs used the moment they were distributed suffer no memory noise");
            assertTrue(retransmittedQubits(ring) > 0, "10 ms of storage must have forced repairs");
            assertSameResults(noiseless.results, results);
        }
    }

    private static float[] allReduceOperation(final RingAllReduce rank, final int op)
    {
        final float[] data = input(rank.rank() + 31 * op, LENGTH);
        rank.allReduce(data, ReduceOp.AVERAGE);
        return data;
    }

    private static long retransmittedQubits(final LocalRing ring)
    {
        return ring.ranks().stream().flatMap(rank -> rank.linkLedgers().stream())
            .mapToLong(snapshot -> snapshot.get(LedgerCounter.RETRANSMITTED_QUBITS)).sum();
    }

    @Test
    void shouldKeepRepairingForNeighboursWhileARankCloses()
    {
        final QuantumLinkSettings noisy = QuantumLinkSettings.builder().onlineChannel(PauliChannel.depolarizing(1e-2)).build();
        final RingRun noiseless = run(context(TransportKind.IN_MEMORY, 3).linkWrapper(QuantumLinkSettings.builder().build().wrapper()), 1);
        try (LocalRing ring = LocalRing.start(context(TransportKind.IPC, 3).linkWrapper(noisy.wrapper())))
        {
            final List<float[]> results = ring.run(rank ->
            {
                final float[] data = input(rank.rank(), LENGTH);
                rank.allReduce(data, ReduceOp.AVERAGE);
                rank.close();
                return data;
            }, RUN_TIMEOUT_NS);
            assertSameResults(noiseless.results, results);
        }
    }

    /**
     * An intercept-resend eavesdropper on a fraction f of one link's pairs acts as dephasing q = f/2 after
     * the link's own distribution noise, on that link only: depolarizing p then dephasing q has
     * pI = (1 − p)(1 − q) + (p/3)q, pZ = (p/3)(1 − q) + (1 − p)q and pX = pY = p/3.
     */
    @Test
    void shouldPutAnEavesdroppersDephasingAfterTheDistributionNoiseOfItsLinkOnly()
    {
        final double p = 0.03;
        final double f = 0.4;
        final QuantumLinkSettings settings = QuantumLinkSettings.builder()
            .distributionChannel(PauliChannel.depolarizing(p))
            .eavesdropper(0, 1, new InterceptResendEavesdropper(f))
            .build();

        final PauliChannel attacked = settings.distributionChannel(0, 1);

        final double q = f / 2;
        assertEquals((1 - p) * (1 - q) + p / 3 * q, attacked.pI(), 1e-15);
        assertEquals(p / 3 * (1 - q) + (1 - p) * q, attacked.pZ(), 1e-15);
        assertEquals(p / 3, attacked.pX(), 1e-15);
        assertEquals(p / 3, attacked.pY(), 1e-15);
        assertEquals(PauliChannel.depolarizing(p), settings.distributionChannel(1, 2), "a link without the eavesdropper");
    }

    @Test
    void shouldAbortWithoutDeliveringNumbersWhenAnEavesdropperIsCaught()
    {
        final QuantumLinkSettings settings = QuantumLinkSettings.builder()
            .eavesdropper(0, 1, InterceptResendEavesdropper.everyPair())
            .alarmPolicy(AlarmPolicy.ABORT)
            .build();
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, 3).linkWrapper(settings.wrapper())))
        {
            final List<LocalRing.Outcome<float[]>> outcomes = ring.runEach(rank ->
            {
                final float[] data = input(rank.rank(), LENGTH);
                rank.allReduce(data, ReduceOp.SUM);
                return data;
            }, RUN_TIMEOUT_NS);
            for (final LocalRing.Outcome<float[]> outcome : outcomes)
            {
                assertNotNull(outcome.failure(), "rank " + outcome.rank() + " must not deliver numbers");
            }
            final Throwable receiver = rootOf(outcomes.get(1).failure());
            assertInstanceOf(QuantumLinkException.class, receiver);
            assertTrue(receiver.getMessage().contains("verification of link 0->1 raised an alarm"), receiver.getMessage());
        }
    }

    /**
     * The eavesdropper and rule of the mid-collective fallback test below, under ABORT: the batch that
     * fails is distributed after earlier ones passed and carried data, mid-collective with repairs in
     * flight. Every rank must fail (none may deliver numbers), at least one naming the verification of
     * link 0->1, and none by a timeout: the sender announces the alarm instead of coding the frame and
     * fails its own end of the collective, and the receiver fails the link.
     */
    @Test
    void shouldAbortEveryRankWithoutATimeoutWhenABatchFailsMidCollective()
    {
        final ConcurrentLinkedQueue<String> alarms = new ConcurrentLinkedQueue<>();
        final List<Long> rounds = new CopyOnWriteArrayList<>();
        final QuantumLinkSettings settings = midCollectiveAttack()
            .alarmPolicy(AlarmPolicy.ABORT)
            .verificationListener((link, result) ->
            {
                recordAlarm(alarms, link, result);
                if ("0->1".equals(link))
                {
                    rounds.add(result.round());
                }
            })
            .build();
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, 3).linkWrapper(settings.wrapper())))
        {
            final List<LocalRing.Outcome<float[]>> outcomes = ring.runEach(rank ->
            {
                float[] data = null;
                for (int op = 0; op < 2; op++)
                {
                    data = input(rank.rank() + 31 * op, LENGTH);
                    rank.allReduce(data, ReduceOp.AVERAGE);
                }
                return data;
            }, RUN_TIMEOUT_NS);
            boolean named = false;
            for (final LocalRing.Outcome<float[]> outcome : outcomes)
            {
                assertNotNull(outcome.failure(), "rank " + outcome.rank() + " must not deliver numbers");
                final StringBuilder chain = new StringBuilder();
                for (Throwable cause = outcome.failure(); cause != null; cause = cause.getCause())
                {
                    assertFalse(cause instanceof LinkTimeoutException, "rank " + outcome.rank() + " must be told, not time out: " + cause);
                    chain.append(cause.getMessage()).append(" / ");
                }
                named |= chain.toString().contains("verification of link 0->1 raised an alarm");
            }
            assertTrue(named, "a rank must name the verification of link 0->1");
            assertEquals(List.of("0->1"), alarms.stream().distinct().toList());
            assertTrue(rounds.size() > 1, "batches passed and carried data before one failed: rounds " + rounds);
        }
    }

    /**
     * Every batch of link 0->1 fails verification, the first before any of its pairs is used: both ends
     * verify it when the first frame reserves its pairs, so that frame and every later one travel
     * classically, not one payload bit rides the attacked pairs, and no second batch is distributed.
     * Nothing depends on when a message arrives, so two runs keep identical ledgers.
     */
    @Test
    void shouldFallBackToTheClassicalLinkAndStillDeliverExactResults()
    {
        final ConcurrentLinkedQueue<String> alarms = new ConcurrentLinkedQueue<>();
        final QuantumLinkSettings settings = QuantumLinkSettings.builder()
            .eavesdropper(0, 1, InterceptResendEavesdropper.everyPair())
            .alarmPolicy(AlarmPolicy.FALLBACK_CLASSICAL)
            .verificationListener((link, result) -> recordAlarm(alarms, link, result))
            .build();
        final RingRun classical = run(context(TransportKind.IN_MEMORY, 3), 2);
        final RingRun fallback = run(context(TransportKind.IN_MEMORY, 3).linkWrapper(settings.wrapper()), 2);
        final RingRun again = run(context(TransportKind.IN_MEMORY, 3).linkWrapper(settings.wrapper()), 2);

        assertSameResults(classical.results, fallback.results);
        assertEquals(List.of("0->1"), alarms.stream().distinct().toList());
        final LedgerSnapshot attacked = fallback.links.get("0->1");
        assertEquals(1, attacked.get(LedgerCounter.VERIFICATION_ALARMS), attacked.toString());
        assertEquals(attacked.get(LedgerCounter.PAYLOAD_BITS), attacked.get(LedgerCounter.FALLBACK_CLASSICAL_BITS), attacked.toString());
        assertEquals(0, attacked.get(LedgerCounter.EPR_CONSUMED), attacked.toString());
        assertEquals(0, attacked.get(LedgerCounter.ONLINE_QUBITS) + attacked.get(LedgerCounter.RETRANSMITTED_QUBITS));
        assertEquals(settings.poolCapacityPairs(), attacked.get(LedgerCounter.EPR_PRE_SHARED) - attacked.get(LedgerCounter.EPR_SACRIFICED),
            "one batch, the one that failed: " + attacked);
        assertEquals(0, fallback.links.get("1->2").get(LedgerCounter.FALLBACK_CLASSICAL_BITS));
        assertEquals(fallback.links, again.links);
        assertEquals(fallback.lastOperation, again.lastOperation);
    }

    /**
     * An eavesdropper on 6 % of link 0->1's pairs (QBER 0.015) against a rule that fails some batches
     * and passes others (threshold 0.005 at δ = 10⁻³ over 32768 sacrificed pairs: radius 0.0103, an
     * alarm for about a third of the batches). Pools of 32768 pairs run out every few frames, so a batch
     * that fails is distributed mid-collective, while the attack's errors keep repairs in flight. Both
     * ends must still switch at the same frame (the receiver rejects any other), the ring must deliver
     * the classical ring's bits, and the link must have carried qubits before the alarm and classical bits
     * after it. Which frame switches can vary from run to run here: a repair and a data frame may reach
     * the failed batch in either order.
     */
    @Test
    void shouldSwitchBothEndsAtTheSameFrameWhenABatchFailsMidCollectiveWithRepairsInFlight()
    {
        final ConcurrentLinkedQueue<String> alarms = new ConcurrentLinkedQueue<>();
        final QuantumLinkSettings settings = midCollectiveAttack()
            .alarmPolicy(AlarmPolicy.FALLBACK_CLASSICAL)
            .verificationListener((link, result) -> recordAlarm(alarms, link, result))
            .build();
        final RingRun classical = run(context(TransportKind.IN_MEMORY, 3), 2);
        final RingRun attacked = run(context(TransportKind.IN_MEMORY, 3).linkWrapper(settings.wrapper()), 2);

        assertSameResults(classical.results, attacked.results);
        assertEquals(List.of("0->1"), alarms.stream().distinct().toList());
        final LedgerSnapshot link = attacked.links.get("0->1");
        assertEquals(1, link.get(LedgerCounter.VERIFICATION_ALARMS), link.toString());
        assertTrue(link.get(LedgerCounter.ONLINE_QUBITS) > 0, "qubits before the alarm: " + link);
        assertTrue(link.get(LedgerCounter.RETRANSMITTED_QUBITS) > 0, "repairs before the alarm: " + link);
        assertTrue(link.get(LedgerCounter.FALLBACK_CLASSICAL_BITS) > 0, "classical bits after the alarm: " + link);
        assertTrue(link.get(LedgerCounter.FALLBACK_CLASSICAL_BITS) < link.get(LedgerCounter.PAYLOAD_BITS), link.toString());
        for (final String other : List.of("1->2", "2->0"))
        {
            assertEquals(0, attacked.links.get(other).get(LedgerCounter.FALLBACK_CLASSICAL_BITS), attacked.links.get(other).toString());
        }
    }

    /**
     * An eavesdropper on 6 % of link 0->1's pairs against a rule that fails about a third of the batches
     * of 32768 sacrificed pairs, in pools that run out every few frames: with this seed the first batches
     * pass and a later one, distributed mid-collective with repairs in flight, fails.
     */
    private static QuantumLinkSettings.Builder midCollectiveAttack()
    {
        return QuantumLinkSettings.builder()
            .eavesdropper(0, 1, new InterceptResendEavesdropper(0.06))
            .verification(new VerificationSettings(0.005, 1e-3))
            .verificationFraction(0.5)
            .poolCapacityPairs(32_768)
            .maxRepairRounds(16);
    }

    /**
     * Intercepting 2 % of the pairs of link 0->1 dephases them (q = 1 %, a symbol error of 1 %) and
     * adds 0.5 % to the QBER, below the 5 % alarm threshold: no alarm, so the link must repair what
     * the attack breaks. Its blocks are sized for its own channel (8 bytes) from the first frame, with
     * room to split them; sized for the ring's noiseless channel (one block per frame) every frame would
     * fail its repair rounds and an attacker too weak to be caught would take the ring down. With 8-byte
     * blocks failing 27.5 % of transmissions, a block fails 9 transmissions running with probability
     * about 1e-5; the errors follow from the seed. Link 1->0, without an eavesdropper, still sends each
     * frame as one block.
     */
    @Test
    void shouldRepairWhatAnEavesdropperBelowTheAlarmThresholdBreaksWithBlocksSizedForItsLink()
    {
        final ConcurrentLinkedQueue<String> alarms = new ConcurrentLinkedQueue<>();
        final QuantumLinkSettings attacked = QuantumLinkSettings.builder()
            .eavesdropper(0, 1, new InterceptResendEavesdropper(0.02))
            .maxRepairRounds(8)
            .verificationListener((link, result) -> recordAlarm(alarms, link, result))
            .build();
        assertEquals(8, attacked.blockLength(0, 1));
        assertEquals(Integer.MAX_VALUE, attacked.blockLength(1, 0));
        final DataFrames noiselessFrames = new DataFrames();
        final DataFrames attackedFrames = new DataFrames();

        final EveRun noiseless = runSum(context(TransportKind.IN_MEMORY, 2)
            .linkWrapper(noiselessFrames.then(QuantumLinkSettings.builder().maxRepairRounds(8).build().wrapper())));
        final EveRun repaired = runSum(context(TransportKind.IN_MEMORY, 2).linkWrapper(attackedFrames.then(attacked.wrapper())));

        assertSameResults(noiseless.results, repaired.results);
        assertEquals(List.of(), List.copyOf(alarms));
        final LedgerSnapshot link01 = repaired.links.get("0->1");
        assertTrue(link01.get(LedgerCounter.RETRANSMITTED_QUBITS) > 0, link01.toString());
        for (final LedgerSnapshot link : repaired.links.values())
        {
            assertEquals(0, link.get(LedgerCounter.VERIFICATION_ALARMS), link.toString());
            assertEquals(0, link.get(LedgerCounter.FALLBACK_CLASSICAL_BITS), link.toString());
        }
        assertEquals(0, repaired.links.get("1->0").get(LedgerCounter.RETRANSMITTED_QUBITS));
        assertEquals(List.of(8), attackedFrames.blockLengths("0->1"), "link 0->1 sizes its blocks for the eavesdropper");
        assertEquals(List.of(1), attackedFrames.blocksPerFrame("1->0"), "link 1->0 has no eavesdropper");

        for (final String link : List.of("0->1", "1->0"))
        {
            assertEquals(List.of(1), noiselessFrames.blocksPerFrame(link), link + ": a noiseless link sends one block per frame");
            final LedgerSnapshot q = noiseless.links.get(link);
            assertEquals(q.get(LedgerCounter.PAYLOAD_BITS), 2 * q.get(LedgerCounter.ONLINE_QUBITS), link);
            assertEquals(0, q.get(LedgerCounter.RETRANSMITTED_QUBITS), link);
            assertEquals(noiselessFrames.count(link) *
                (QuantumFrame.TRANSPORT_HEADER_BITS + 8L * QuantumFrame.dataOverhead(1) + SuperdenseEncoder.HEADER_BITS),
                noiseless.senderClassicalBits.get(link), link + ": one checksum per frame, nothing else");
        }
    }

    /** The repair-round failure names the channel of the failing link, an eavesdropper's disturbance included. */
    @Test
    void shouldNameTheLinksOwnChannelWhenItsNoiseIsBeyondRepair()
    {
        final QuantumLinkSettings settings = QuantumLinkSettings.builder()
            .eavesdropper(0, 1, new InterceptResendEavesdropper(0.1))
            .maxRepairRounds(2)
            .build();
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, 2).linkWrapper(settings.wrapper())))
        {
            final List<LocalRing.Outcome<float[]>> outcomes = ring.runEach(rank -> allReduceOperation(rank, 0), RUN_TIMEOUT_NS);
            final Throwable receiver = rootOf(outcomes.get(1).failure());
            assertInstanceOf(QuantumLinkException.class, receiver);
            assertTrue(receiver.getMessage().contains("repair rounds; the link's noise is beyond what it can correct (distribution " +
                settings.distributionChannel(0, 1) + ", online " + settings.onlineChannel() + ")"), receiver.getMessage());
        }
    }

    private static EveRun runSum(final RingContext context)
    {
        try (LocalRing ring = LocalRing.start(context))
        {
            final List<float[]> results = ring.run(rank ->
            {
                final float[] data = input(rank.rank(), 20_000);
                rank.allReduce(data, ReduceOp.SUM);
                return data;
            }, RUN_TIMEOUT_NS);
            final List<LedgerSnapshot> snapshots = new ArrayList<>();
            final Map<String, Long> senderClassicalBits = new TreeMap<>();
            for (final RingAllReduce rank : ring.ranks())
            {
                snapshots.addAll(rank.linkLedgers());
                final LinkLedger sender = rank.next().ledger();
                senderClassicalBits.put(sender.link(), sender.get(LedgerCounter.ONLINE_CLASSICAL_BITS));
            }
            return new EveRun(results, byLink(snapshots), senderClassicalBits);
        }
    }

    /**
     * @param results             every rank's result.
     * @param links               cumulative ledger per directed link (both endpoints merged).
     * @param senderClassicalBits online classical bits the sending end of each directed link counted.
     */
    private record EveRun(List<float[]> results, Map<String, LedgerSnapshot> links, Map<String, Long> senderClassicalBits)
    {
    }

    /** Records the data frames quantum senders hand to their transport: applied before the quantum wrapper. */
    private static final class DataFrames implements LinkWrapper
    {
        private final ConcurrentLinkedQueue<DataFrame> frames = new ConcurrentLinkedQueue<>();

        @Override
        public Link wrapNext(final Link link, final int selfRank, final int nextRank)
        {
            final String name = LinkLedger.linkName(selfRank, nextRank);
            return new DelegatingLink(link)
            {
                @Override
                public void send(final DirectBuffer buffer, final int offset, final int length, final long deadlineNanos)
                {
                    if (QuantumFrame.type(buffer, offset) == QuantumFrame.DATA)
                    {
                        frames.add(new DataFrame(name, QuantumFrame.count(buffer, offset),
                            buffer.getInt(offset + QuantumFrame.BLOCK_LENGTH_OFFSET, QuantumFrame.ORDER)));
                    }
                    super.send(buffer, offset, length, deadlineNanos);
                }
            };
        }

        @Override
        public Link wrapPrevious(final Link link, final int selfRank, final int previousRank)
        {
            return link;
        }

        /** @return data frames sent on the link, empty ones included. */
        private long count(final String link)
        {
            return frames.stream().filter(frame -> frame.link.equals(link)).count();
        }

        /** @return the distinct block lengths of the link's non-empty data frames. */
        private List<Integer> blockLengths(final String link)
        {
            return nonEmpty(link).map(DataFrame::blockLength).distinct().toList();
        }

        /** @return the distinct numbers of blocks of the link's non-empty data frames. */
        private List<Integer> blocksPerFrame(final String link)
        {
            return nonEmpty(link).map(frame -> QuantumFrame.blockCount(frame.payloadLength, frame.blockLength)).distinct().toList();
        }

        private Stream<DataFrame> nonEmpty(final String link)
        {
            final List<DataFrame> sent = frames.stream().filter(frame -> frame.link.equals(link) && frame.payloadLength > 0).toList();
            assertFalse(sent.isEmpty(), "no data frame on link " + link);
            return sent.stream();
        }

        private record DataFrame(String link, int payloadLength, int blockLength)
        {
        }
    }

    @Test
    void shouldFailLoudlyWhenNoiseIsBeyondRepair()
    {
        final QuantumLinkSettings settings = QuantumLinkSettings.builder()
            .onlineChannel(PauliChannel.depolarizing(0.5))
            .maxRepairRounds(3)
            .build();
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, 2).linkWrapper(settings.wrapper())))
        {
            final List<LocalRing.Outcome<float[]>> outcomes = ring.runEach(rank ->
            {
                final float[] data = input(rank.rank(), LENGTH);
                rank.allReduce(data, ReduceOp.SUM);
                return data;
            }, RUN_TIMEOUT_NS);
            final List<Throwable> causes = outcomes.stream().map(o -> rootOf(o.failure())).toList();
            assertTrue(causes.stream().anyMatch(c -> c instanceof QuantumLinkException &&
                c.getMessage().contains("repair rounds")), causes.toString());
        }
    }

    /** Pairs stored for 100 s in a memory of T1 = 1 s, T2 = 0.5 s are useless; the error says how long they waited. */
    @Test
    void shouldNameHowLongThePairsWereStoredWhenMemoryNoiseIsBeyondRepair()
    {
        final CachedNanoClock clock = new CachedNanoClock();
        final QuantumLinkSettings settings = QuantumLinkSettings.builder().memory(1.0, 0.5).clock(clock).maxRepairRounds(3)
            .poolCapacityPairs(1 << 22).build();
        try (LocalRing ring = LocalRing.start(context(TransportKind.IN_MEMORY, 2).linkWrapper(settings.wrapper())))
        {
            ring.run(rank -> allReduceOperation(rank, 0), RUN_TIMEOUT_NS);
            clock.update(TimeUnit.SECONDS.toNanos(100));
            final List<LocalRing.Outcome<float[]>> outcomes = ring.runEach(rank -> allReduceOperation(rank, 1), RUN_TIMEOUT_NS);
            final List<Throwable> causes = outcomes.stream().map(o -> rootOf(o.failure())).toList();
            assertTrue(causes.stream().anyMatch(c -> c instanceof QuantumLinkException && c.getMessage().contains(
                "the pairs in use had been stored for 100000 ms, which a pool of fewer than 4194304 pairs (poolCapacityPairs)")),
                causes.toString());
        }
    }

    @Test
    void shouldRejectInvalidSettingsWithTheCause()
    {
        assertMessage("EPR pool capacity", () -> QuantumLinkSettings.builder().poolCapacityPairs(0).build());
        assertMessage("EPR pool capacity must be at least 192 pairs (one 48-byte collective descriptor), got 191",
            () -> QuantumLinkSettings.builder().poolCapacityPairs(QuantumLinkSettings.MIN_POOL_CAPACITY_PAIRS - 1).build());
        assertEquals(QuantumLinkSettings.MIN_POOL_CAPACITY_PAIRS,
            QuantumLinkSettings.builder().poolCapacityPairs(QuantumLinkSettings.MIN_POOL_CAPACITY_PAIRS).build().poolCapacityPairs());
        assertMessage("verification fraction", () -> QuantumLinkSettings.builder().verificationFraction(0.95).build());
        assertMessage("block length", () -> QuantumLinkSettings.builder().blockLength(12).build());
        assertMessage("T2", () -> QuantumLinkSettings.builder().memory(1.0, 3.0).build());
        assertMessage("window", () -> QuantumLinkSettings.builder().window(0).build());
    }

    /** Two damping stages are no Pauli channel for superdense coding (see SuperdenseCodingExactTest). */
    @Test
    void shouldRefuseAmplitudeDampingInMoreThanOneStage()
    {
        final String expected = "amplitude damping in more than one stage (";
        assertMessage(expected + "the T1/T2 memory (it damps both stored halves), the online channel)",
            () -> QuantumLinkSettings.builder().memory(1.0, 0.5).onlineChannel(PauliChannel.amplitudeDamping(0.01)).build());
        assertMessage(expected + "the distribution channel, the online channel)", () -> QuantumLinkSettings.builder()
            .distributionChannel(PauliChannel.amplitudeDamping(0.02)).onlineChannel(PauliChannel.amplitudeDamping(0.01)).build());
        assertMessage(expected + "the distribution channel, the T1/T2 memory", () -> QuantumLinkSettings.builder()
            .distributionChannel(PauliChannel.werner(0.99).then(PauliChannel.amplitudeDampingBothHalves(0.1, 0.2))).memory(1.0, 0.5)
            .build());

        assertDoesNotThrow(() -> QuantumLinkSettings.builder().memory(1.0, 0.5).distributionChannel(PauliChannel.werner(0.99))
            .onlineChannel(PauliChannel.depolarizing(0.01)).build(), "one damping stage");
        assertDoesNotThrow(() -> QuantumLinkSettings.builder().distributionChannel(PauliChannel.amplitudeDamping(0.02))
            .onlineChannel(PauliChannel.dephasing(0.01)).build(), "one damping stage");
        assertDoesNotThrow(() -> QuantumLinkSettings.builder().memory(1.0, 0.5).onlineChannel(PauliChannel.amplitudeDamping(0)).build(),
            "damping with gamma 0 is no damping");
    }

    @Test
    void shouldChooseBlocksFromTheNoise()
    {
        assertEquals(Integer.MAX_VALUE, QuantumLinkSettings.builder().build().blockLength(0, 1));
        assertEquals(40, QuantumLinkSettings.builder().onlineChannel(PauliChannel.depolarizing(1e-3)).build().blockLength(0, 1));
        assertEquals(8, QuantumLinkSettings.builder().onlineChannel(PauliChannel.depolarizing(1e-2)).build().blockLength(0, 1));
        assertEquals(64, QuantumLinkSettings.builder().blockLength(64).build().blockLength(0, 1));
        assertEquals(1 << 20, QuantumLinkSettings.blockLengthFor(1e-15));
        for (final double p : new double[]{1e-6, 1e-5, 1e-4, 1e-3, 5e-3, 1e-2, 0.1})
        {
            final int bytes = QuantumLinkSettings.blockLengthFor(p);
            final double logNoError = Math.log1p(-p);
            final double cost = QuantumLinkSettings.costPerPayloadPair(4.0 * bytes, logNoError);
            for (int other = 8; other <= 4096; other += 8)
            {
                assertTrue(cost <= QuantumLinkSettings.costPerPayloadPair(4.0 * other, logNoError),
                    "p = " + p + ": blocks of " + other + " bytes cost less than the chosen " + bytes);
            }
        }
    }

    static Stream<Arguments> rings()
    {
        return Stream.of(
            Arguments.of(2, TransportKind.IN_MEMORY),
            Arguments.of(4, TransportKind.IN_MEMORY),
            Arguments.of(3, TransportKind.IPC));
    }

    static Stream<Arguments> noisyLinks()
    {
        return Stream.of(
            Arguments.of("depolarizing 1e-3", QuantumLinkSettings.builder().onlineChannel(PauliChannel.depolarizing(1e-3))),
            Arguments.of("depolarizing 1e-2", QuantumLinkSettings.builder().onlineChannel(PauliChannel.depolarizing(1e-2))),
            Arguments.of("amplitude damping 0.01", QuantumLinkSettings.builder().onlineChannel(PauliChannel.amplitudeDamping(0.01))),
            Arguments.of("Werner pairs of fidelity 0.995", QuantumLinkSettings.builder().distributionChannel(PauliChannel.werner(0.995))));
    }

    private static RingRun run(final RingContext context, final int operations)
    {
        try (LocalRing ring = LocalRing.start(context))
        {
            final List<float[]> results = ring.run(rank ->
            {
                float[] data = null;
                for (int op = 0; op < operations; op++)
                {
                    data = input(rank.rank() + 31 * op, LENGTH);
                    rank.allReduce(data, ReduceOp.AVERAGE);
                }
                return data;
            }, RUN_TIMEOUT_NS);
            final List<LedgerSnapshot> snapshots = new ArrayList<>();
            final List<LedgerSnapshot> lastOperation = new ArrayList<>();
            for (final RingAllReduce rank : ring.ranks())
            {
                snapshots.addAll(rank.linkLedgers());
                lastOperation.addAll(rank.lastOperationLedgers());
            }
            return new RingRun(results, byLink(snapshots), byLink(lastOperation));
        }
    }

    private static Map<String, LedgerSnapshot> byLink(final List<LedgerSnapshot> snapshots)
    {
        return snapshots.stream()
                .collect(Collectors.groupingBy(LedgerSnapshot::link, TreeMap::new, Collectors.toList()))
            .entrySet().stream()
            .collect(Collectors.toMap(Map.Entry::getKey, e -> LedgerSnapshot.merge(e.getKey(), e.getValue()),
                (a, b) -> a, TreeMap::new));
    }

    private static float[] input(final int stream, final int length)
    {
        final SplittableRandom random = new SplittableRandom(SEED * 1_000_003L + stream);
        final float[] values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)((random.nextDouble() - 0.5) * Math.scalb(1.0, random.nextInt(-8, 9)));
        }
        return values;
    }

    private static void assertSameResults(final List<float[]> expected, final List<float[]> actual)
    {
        assertEquals(expected.size(), actual.size());
        final Function<float[], int[]> bits = values ->
        {
            final int[] raw = new int[values.length];
            for (int i = 0; i < values.length; i++)
            {
                raw[i] = Float.floatToRawIntBits(values[i]);
            }
            return raw;
        };
        for (int rank = 0; rank < expected.size(); rank++)
        {
            assertArrayEquals(bits.apply(expected.get(rank)), bits.apply(actual.get(rank)), "rank " + rank);
        }
    }

    private static void recordAlarm(final ConcurrentLinkedQueue<String> alarms, final String link, final VerificationResult result)
    {
        if (result.alarm())
        {
            alarms.add(link);
        }
    }

    private static Throwable rootOf(final Throwable failure)
    {
        assertNotNull(failure);
        Throwable t = failure;
        while (!(t instanceof QuantumLinkException) && t.getCause() != null && t.getCause() != t)
        {
            t = t.getCause();
        }
        return t;
    }

    private static void assertMessage(final String expected, final org.junit.jupiter.api.function.Executable executable)
    {
        final IllegalArgumentException ex = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, executable);
        assertTrue(ex.getMessage().contains(expected), ex.getMessage());
        assertFalse(ex.getMessage().isBlank());
    }

    /**
     * @param results       every rank's result of the last operation.
     * @param links         cumulative ledger per directed link (both endpoints merged).
     * @param lastOperation ledger per directed link of the last operation alone.
     */
    private record RingRun(List<float[]> results, Map<String, LedgerSnapshot> links, Map<String, LedgerSnapshot> lastOperation)
    {
    }
}
