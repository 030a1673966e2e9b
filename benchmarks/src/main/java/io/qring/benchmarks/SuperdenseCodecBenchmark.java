package io.qring.benchmarks;

import io.qring.channel.codec.SuperdenseDecoder;
import io.qring.channel.codec.SuperdenseEncoder;
import io.qring.channel.epr.EprPool;
import io.qring.channel.epr.ExhaustionPolicy;
import io.qring.channel.ledger.LinkLedger;
import io.qring.channel.noise.PauliChannel;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Superdense codec throughput: one payload encoded onto the sender's pool and decoded by the receiver
 * per operation, noiseless and with online depolarizing noise p = 10^−3; 128 KiB (the ring's default
 * chunk) and 1 MiB payloads, in byte arrays (as the quantum link hands them over) and in direct
 * buffers. The {@code payloadMegabytes} counter reports MB (10^6 bytes) of payload per second; the
 * primary score is payloads per second.
 *
 * <p>Run: {@code mvn -B -pl benchmarks compile exec:exec@jmh -Djmh.args="SuperdenseCodec -f 1 -wi 2 -i 3"};
 * JMH's {@code -p memory=heap} or {@code -p payloadBytes=131072} picks cases.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class SuperdenseCodecBenchmark
{
    private static final long CAPACITY_PAIRS = 1L << 30;
    private static final long LINK_SEED = 0x5EED;

    /** Online channel of the link. */
    @Param({"noiseless", "depolarizing-1e-3"})
    public String channel;

    /** Payload bytes per operation. */
    @Param({"131072", "1048576"})
    public int payloadBytes;

    /** Where payload, wire frame and decoded payload live: {@code heap} (byte arrays) or {@code direct}. */
    @Param({"heap", "direct"})
    public String memory;

    private UnsafeBuffer payload;
    private UnsafeBuffer wire;
    private UnsafeBuffer decoded;
    private double megabytesPerPayload;
    private SuperdenseEncoder encoder;
    private SuperdenseDecoder decoder;

    /**
     * Payload megabytes moved, reported by JMH as a rate.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Throughput
    {
        /** MB of payload per second. */
        public double payloadMegabytes;

        /** Clears the counter before each iteration. */
        @Setup(Level.Iteration)
        public void clear()
        {
            payloadMegabytes = 0;
        }
    }

    /** Builds both endpoints of one link and a random payload in the chosen memory. */
    @Setup(Level.Trial)
    public void setUp()
    {
        final PauliChannel online = switch (channel)
        {
            case "noiseless" -> PauliChannel.NOISELESS;
            case "depolarizing-1e-3" -> PauliChannel.depolarizing(1e-3);
            default -> throw new IllegalArgumentException("unknown channel " + channel);
        };
        final LinkLedger ledger = new LinkLedger("0->1");
        encoder = new SuperdenseEncoder(pool(EprPool.Side.SENDER, ledger));
        decoder = new SuperdenseDecoder(pool(EprPool.Side.RECEIVER, ledger), online);
        payload = buffer(payloadBytes);
        wire = buffer(SuperdenseEncoder.wireLength(payloadBytes));
        decoded = buffer(payloadBytes);
        megabytesPerPayload = payloadBytes / 1e6;
        final byte[] bytes = new byte[payloadBytes];
        new SplittableRandom(42).nextBytes(bytes);
        payload.putBytes(0, bytes);
    }

    /**
     * Encodes and decodes one payload.
     *
     * @param throughput payload counter.
     * @return decoded bytes.
     */
    @Benchmark
    public int encodeDecode(final Throughput throughput)
    {
        final int wireLength = encoder.encode(payload, 0, payloadBytes, wire, 0);
        final int length = decoder.decode(wire, 0, wireLength, decoded, 0);
        throughput.payloadMegabytes += megabytesPerPayload;
        return length;
    }

    private UnsafeBuffer buffer(final int capacity)
    {
        return switch (memory)
        {
            case "heap" -> new UnsafeBuffer(new byte[capacity]);
            case "direct" -> new UnsafeBuffer(ByteBuffer.allocateDirect(capacity));
            default -> throw new IllegalArgumentException("unknown memory " + memory);
        };
    }

    private static EprPool pool(final EprPool.Side side, final LinkLedger ledger)
    {
        return EprPool.builder()
            .linkName("0->1")
            .side(side)
            .capacity(CAPACITY_PAIRS)
            .linkSeed(LINK_SEED)
            .exhaustionPolicy(ExhaustionPolicy.REFILL_ON_DEMAND)
            .ledger(ledger)
            .build();
    }
}
