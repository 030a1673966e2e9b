package io.qring.it;

import io.qring.allreduce.RingAllReduce;
import io.qring.allreduce.link.Link;
import io.qring.allreduce.link.LinkWrapper;
import io.qring.allreduce.quantum.QuantumLinkSettings;
import io.qring.channel.epr.MemoryDecoherence;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;
import io.qring.channel.noise.PauliChannel;
import io.qring.it.IpcRings.Kind;
import io.qring.it.IpcRings.Operation;
import io.qring.it.IpcRings.RingRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Classical and quantum rings of N = 2, 3, 4 and 8 threads over real Aeron IPC, on the same seeded
 * float and double arrays (one element, fewer elements than ranks, and 50,003 elements, which no N
 * divides): every rank bit-identical, the quantum ring bit-identical to the classical one, both within
 * floating-point rounding of the exact sum, and the noiseless ledger exactly as the schedule predicts.
 * Then noisy quantum links (N = 3), with Pauli noise in flight or T1/T2 noise in storage, must still
 * deliver the noiseless bits, paying in retransmitted qubits.
 * Each ring runs once per class and is shared by the tests that read it.
 */
class QuantumIpcRingTest
{
    private static final long SEED = 20_240_917L;
    private static final int LONG_LENGTH = 50_003;
    private static final int NOISY_WORLD_SIZE = 3;
    private static final long DESCRIPTOR_BITS = 8L * RingAllReduce.DESCRIPTOR_LENGTH;
    private static final MathContext ROUND_UP = new MathContext(34, RoundingMode.UP);
    private static final double T1_SECONDS = 1.0;
    private static final double T2_SECONDS = 0.5;
    private static final long STORAGE_POOL_CAPACITY_PAIRS = 1L << 18;
    private static final Map<String, RingRun> RUNS = new HashMap<>();

    @ParameterizedTest(name = "{0} ranks")
    @ValueSource(ints = {2, 3, 4, 8})
    void shouldGiveEveryRankTheClassicalRingsBitsOverQuantumLinks(final int worldSize)
    {
        final RingRun classical = classical(worldSize);
        final RingRun quantum = quantum(worldSize);
        final List<Operation> operations = operations(worldSize);
        for (int index = 0; index < operations.size(); index++)
        {
            final String what = worldSize + " ranks, " + operations.get(index);
            final List<long[]> classicalBits = classical.results().get(index);
            IpcRings.assertSameBits("classical ring, " + what, sameOnEveryRank(classicalBits.get(0), worldSize), classicalBits);
            IpcRings.assertSameBits("quantum vs classical ring, " + what, classicalBits, quantum.results().get(index));
        }
    }

    @ParameterizedTest(name = "{0} ranks")
    @ValueSource(ints = {2, 3, 4, 8})
    void shouldEqualTheExactSumWithinFloatingPointRounding(final int worldSize)
    {
        final RingRun quantum = quantum(worldSize);
        final List<Operation> operations = operations(worldSize);
        for (int index = 0; index < operations.size(); index++)
        {
            assertWithinRoundingOfExactSum(operations.get(index), index, worldSize, quantum.results().get(index).get(0));
        }
    }

    /**
     * Rank r sends 2M − |seg(r+1)| − |seg(r+2)| elements (2(N−1)/N · M when N divides M; 2(N−1) · M over
     * the ring) plus N − 1 descriptors; a noiseless quantum link carries the same payload on half as many
     * online qubits, with nothing retransmitted.
     */
    @ParameterizedTest(name = "{0} ranks")
    @ValueSource(ints = {2, 3, 4, 8})
    void shouldCarryTheClassicalPayloadOnHalfAsManyOnlineQubits(final int worldSize)
    {
        final RingRun classical = classical(worldSize);
        final RingRun quantum = quantum(worldSize);
        final List<Operation> operations = operations(worldSize);
        for (int index = 0; index < operations.size(); index++)
        {
            final Operation operation = operations.get(index);
            final Map<String, LedgerSnapshot> classicalLinks = classical.lastOperation().get(index);
            final Map<String, LedgerSnapshot> quantumLinks = quantum.lastOperation().get(index);
            assertEquals(IpcRings.ringLinks(worldSize), IpcRings.dataLinks(classicalLinks), "classical links");
            assertEquals(IpcRings.ringLinks(worldSize), List.copyOf(quantumLinks.keySet()), "quantum links");
            long elements = 0;
            for (int rank = 0; rank < worldSize; rank++)
            {
                final String link = rank + "->" + (rank + 1) % worldSize;
                final String what = worldSize + " ranks, " + operation + ", link " + link;
                final long sent = 2L * operation.length() - segmentLength((rank + 1) % worldSize, operation.length(), worldSize) -
                    segmentLength((rank + 2) % worldSize, operation.length(), worldSize);
                final long payloadBits = classicalLinks.get(link).get(LedgerCounter.PAYLOAD_BITS);
                assertEquals(operation.kind().bits() * sent + (worldSize - 1) * DESCRIPTOR_BITS, payloadBits, what);
                elements += sent;

                final LedgerSnapshot q = quantumLinks.get(link);
                assertEquals(payloadBits, q.get(LedgerCounter.PAYLOAD_BITS), what);
                assertEquals(payloadBits, 2 * q.get(LedgerCounter.ONLINE_QUBITS), "online qubits, " + what);
                assertEquals(q.get(LedgerCounter.ONLINE_QUBITS), q.get(LedgerCounter.EPR_CONSUMED), what);
                assertEquals(0, q.get(LedgerCounter.RETRANSMITTED_QUBITS), what);
                assertEquals(2.0, q.goodputBitsPerQubit(), 0.0, what);
            }
            assertEquals(2L * (worldSize - 1) * operation.length(), elements, "2(N-1) * M elements over the ring, " + operation);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("noisyLinks")
    void shouldDeliverTheNoiselessBitsOverNoisyLinksPayingInRetransmittedQubits(final String name, final PauliChannel noise)
    {
        final RingRun noisy = run("quantum-" + NOISY_WORLD_SIZE + "-" + name, NOISY_WORLD_SIZE,
            QuantumLinkSettings.builder().seed(SEED).onlineChannel(noise).build());
        assertNoiselessBitsPaidForInRetransmittedQubits(name, noisy);
        for (final String link : IpcRings.ringLinks(NOISY_WORLD_SIZE))
        {
            final LedgerSnapshot ledger = noisy.cumulative().get(link);
            assertTrue(ledger.capacityBitsPerQubit() < 2.0, "a noisy link's capacity bound is below 2: " + name + ", link " + link +
                ": " + ledger);
        }
    }

    /**
     * T1/T2 storage alone (T1 = 1 s, T2 = 0.5 s; no other noise, so no other stage damps). The receiving
     * end of each link times storage on its own clock, which advances 0.1 ms each time that end reads it:
     * when it distributes a batch and when it decodes a frame or a repair. A pair is therefore stored for
     * at least 0.1 ms (symbol error rate ≈ 0.025 %, some 800 errors in the 3.2 million pairs a link
     * carries), plus 0.1 ms for every frame its receiving end decoded since the pair's batch was
     * distributed, in batches of 2^18 pairs; wall time plays no part. The ledger's capacity bound covers
     * only the Pauli channels, so goodput is also held to the capacity of the shortest storage.
     */
    @Test
    void shouldDeliverTheNoiselessBitsOverT1T2StoragePayingInRetransmittedQubits()
    {
        final String name = "T1 1 s, T2 0.5 s";
        final QuantumLinkSettings.Builder memory = QuantumLinkSettings.builder().seed(SEED).memory(T1_SECONDS, T2_SECONDS)
            .poolCapacityPairs(STORAGE_POOL_CAPACITY_PAIRS);
        final RingRun stored = IpcRings.run(IpcRings.context(NOISY_WORLD_SIZE)
            .linkWrapper(new TickingStorageClocks(memory, NOISY_WORLD_SIZE)), operations(NOISY_WORLD_SIZE), SEED);
        assertNoiselessBitsPaidForInRetransmittedQubits(name, stored);
        final double shortestStorageCapacity = new MemoryDecoherence(T1_SECONDS, T2_SECONDS)
            .ofPerfectPair(TickingStorageClocks.TICK_NS / 1e9).denseCodingCapacity();
        for (final String link : IpcRings.ringLinks(NOISY_WORLD_SIZE))
        {
            final LedgerSnapshot ledger = stored.cumulative().get(link);
            assertTrue(ledger.goodputBitsPerQubit() <= shortestStorageCapacity, "goodput within the capacity of the shortest storage, " +
                shortestStorageCapacity + ": " + name + ", link " + link + ": " + ledger);
        }
    }

    static Stream<Arguments> noisyLinks()
    {
        return Stream.of(
            Arguments.of("depolarizing 1e-3", PauliChannel.depolarizing(1e-3)),
            Arguments.of("depolarizing 1e-2", PauliChannel.depolarizing(1e-2)),
            Arguments.of("amplitude damping 0.01", PauliChannel.amplitudeDamping(0.01)));
    }

    /** Float and double arrays of one element, of N − 1 elements (when that is more than one) and of 50,003. */
    private static List<Operation> operations(final int worldSize)
    {
        final List<Operation> operations = new ArrayList<>();
        for (final Kind kind : Kind.values())
        {
            operations.add(new Operation(kind, 1));
            if (worldSize > 2)
            {
                operations.add(new Operation(kind, worldSize - 1));
            }
            operations.add(new Operation(kind, LONG_LENGTH));
        }
        return operations;
    }

    private static RingRun classical(final int worldSize)
    {
        return run("classical-" + worldSize, worldSize, null);
    }

    private static RingRun quantum(final int worldSize)
    {
        return run("quantum-" + worldSize, worldSize, QuantumLinkSettings.builder().seed(SEED).build());
    }

    private static synchronized RingRun run(final String name, final int worldSize, final QuantumLinkSettings settings)
    {
        return RUNS.computeIfAbsent(name, key -> IpcRings.run(
            null == settings ? IpcRings.context(worldSize) : IpcRings.context(worldSize).linkWrapper(settings.wrapper()),
            operations(worldSize), SEED));
    }

    /**
     * The noisy ring delivered the noiseless ring's bits and payload on every link, and paid for its noise
     * in retransmitted qubits: goodput below 2 bits per qubit and within the ledger's capacity bound.
     */
    private static void assertNoiselessBitsPaidForInRetransmittedQubits(final String name, final RingRun noisy)
    {
        final RingRun noiseless = quantum(NOISY_WORLD_SIZE);
        final List<Operation> operations = operations(NOISY_WORLD_SIZE);
        for (int index = 0; index < operations.size(); index++)
        {
            IpcRings.assertSameBits(name + ", " + operations.get(index), noiseless.results().get(index), noisy.results().get(index));
        }
        assertEquals(IpcRings.ringLinks(NOISY_WORLD_SIZE), List.copyOf(noisy.cumulative().keySet()));
        for (final String link : IpcRings.ringLinks(NOISY_WORLD_SIZE))
        {
            final LedgerSnapshot ledger = noisy.cumulative().get(link);
            final String what = name + ", link " + link + ": " + ledger;
            assertEquals(noiseless.cumulative().get(link).get(LedgerCounter.PAYLOAD_BITS), ledger.get(LedgerCounter.PAYLOAD_BITS), what);
            assertTrue(ledger.get(LedgerCounter.RETRANSMITTED_QUBITS) > 0, "noise must force repairs: " + what);
            assertTrue(ledger.goodputBitsPerQubit() < 2.0, what);
            assertTrue(ledger.goodputBitsPerQubit() <= ledger.capacityBitsPerQubit(), "goodput within the capacity bound: " + what);
        }
    }

    private static List<long[]> sameOnEveryRank(final long[] bits, final int worldSize)
    {
        final List<long[]> copies = new ArrayList<>(worldSize);
        for (int rank = 0; rank < worldSize; rank++)
        {
            copies.add(bits);
        }
        return copies;
    }

    /**
     * A sum of N numbers formed by N − 1 roundings, in any order, is within γ(N−1)·Σ|x_i| of the exact
     * sum, γ(k) = k·u / (1 − k·u), u = 2^−24 for float, 2^−53 for double. The exact sum and the bound
     * are computed in {@link BigDecimal}, the bound rounded up.
     */
    private static void assertWithinRoundingOfExactSum(
        final Operation operation,
        final int index,
        final int worldSize,
        final long[] result)
    {
        final long[][] inputs = new long[worldSize][];
        for (int rank = 0; rank < worldSize; rank++)
        {
            inputs[rank] = operation.input(SEED, rank, index);
        }
        final double ku = (worldSize - 1) * operation.kind().unitRoundoff();
        final BigDecimal gamma = new BigDecimal(ku).divide(BigDecimal.ONE.subtract(new BigDecimal(ku)), ROUND_UP);
        assertEquals(operation.length(), result.length);
        for (int i = 0; i < result.length; i++)
        {
            BigDecimal exact = BigDecimal.ZERO;
            BigDecimal magnitude = BigDecimal.ZERO;
            for (final long[] input : inputs)
            {
                final BigDecimal x = new BigDecimal(operation.kind().value(input[i]));
                exact = exact.add(x);
                magnitude = magnitude.add(x.abs());
            }
            final BigDecimal error = new BigDecimal(operation.kind().value(result[i])).subtract(exact).abs();
            final BigDecimal bound = magnitude.multiply(gamma, ROUND_UP);
            if (error.compareTo(bound) > 0)
            {
                throw new AssertionError(worldSize + " ranks, " + operation + ", element " + i + ": " +
                    operation.kind().value(result[i]) + " vs exact " + exact + ", error " + error + " > bound " + bound);
            }
        }
    }

    private static int segmentLength(final int segment, final int length, final int worldSize)
    {
        return length / worldSize + (segment < length % worldSize ? 1 : 0);
    }

    /**
     * Quantum links whose receiving ends each time storage on a clock of their own that advances one
     * {@link #TICK_NS tick} per reading, so a pair's storage time is a tick times the readings its
     * receiving end made since the pair's batch was distributed: it counts that end's work, not wall time.
     * Only a receiving end's pool times storage; the sending ends keep the system clock.
     */
    private static final class TickingStorageClocks implements LinkWrapper
    {
        /** Simulated time one reading of a receiving end's clock takes: 0.1 ms. */
        static final long TICK_NS = TimeUnit.MICROSECONDS.toNanos(100);

        private final LinkWrapper senders;
        private final List<LinkWrapper> receivers = new ArrayList<>();

        TickingStorageClocks(final QuantumLinkSettings.Builder settings, final int worldSize)
        {
            this.senders = settings.build().wrapper();
            for (int rank = 0; rank < worldSize; rank++)
            {
                final AtomicLong ticks = new AtomicLong();
                receivers.add(settings.clock(() -> ticks.incrementAndGet() * TICK_NS).build().wrapper());
            }
        }

        @Override
        public void checkRing(final int worldSize)
        {
            senders.checkRing(worldSize);
        }

        @Override
        public Map<String, String> ringSettings()
        {
            return senders.ringSettings();
        }

        @Override
        public Link wrapNext(final Link link, final int selfRank, final int nextRank)
        {
            return senders.wrapNext(link, selfRank, nextRank);
        }

        @Override
        public Link wrapPrevious(final Link link, final int selfRank, final int previousRank)
        {
            return receivers.get(selfRank).wrapPrevious(link, selfRank, previousRank);
        }
    }
}
