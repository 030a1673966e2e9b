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
 * Superdense codec throughput: one 1 MiB payload encoded onto the sender's pool and decoded by the
 * receiver per operation, noiseless and with online depolarizing noise p = 10^−3. The
 * {@code payloadMegabytes} counter reports MB (10^6 bytes) of payload per second; the primary score
 * is 1 MiB frames per second.
 *
 * <p>Run: {@code mvn -B -pl benchmarks compile exec:exec@jmh -Djmh.args="SuperdenseCodec -f 1 -wi 2 -i 3"}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class SuperdenseCodecBenchmark
{
    private static final int PAYLOAD_BYTES = 1 << 20;
    private static final double MEGABYTES_PER_PAYLOAD = PAYLOAD_BYTES / 1e6;
    private static final long CAPACITY_PAIRS = 1L << 30;
    private static final long LINK_SEED = 0x5EED;

    /** Online channel of the link. */
    @Param({"noiseless", "depolarizing-1e-3"})
    public String channel;

    private final UnsafeBuffer payload = new UnsafeBuffer(ByteBuffer.allocateDirect(PAYLOAD_BYTES));
    private final UnsafeBuffer wire = new UnsafeBuffer(ByteBuffer.allocateDirect(SuperdenseEncoder.wireLength(PAYLOAD_BYTES)));
    private final UnsafeBuffer decoded = new UnsafeBuffer(ByteBuffer.allocateDirect(PAYLOAD_BYTES));
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

    /** Builds both endpoints of one link and a random payload. */
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
        final byte[] bytes = new byte[PAYLOAD_BYTES];
        new SplittableRandom(42).nextBytes(bytes);
        payload.putBytes(0, bytes);
    }

    /**
     * Encodes and decodes one 1 MiB payload.
     *
     * @param throughput payload counter.
     * @return decoded bytes.
     */
    @Benchmark
    public int encodeDecode(final Throughput throughput)
    {
        final int wireLength = encoder.encode(payload, 0, PAYLOAD_BYTES, wire, 0);
        final int length = decoder.decode(wire, 0, wireLength, decoded, 0);
        throughput.payloadMegabytes += MEGABYTES_PER_PAYLOAD;
        return length;
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
