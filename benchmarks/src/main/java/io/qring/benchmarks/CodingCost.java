package io.qring.benchmarks;

import io.qring.allreduce.quantum.QuantumLinkSettings;
import io.qring.channel.codec.SuperdenseDecoder;
import io.qring.channel.codec.SuperdenseEncoder;
import io.qring.channel.epr.EprPool;
import io.qring.channel.epr.ExhaustionPolicy;
import io.qring.channel.ledger.LinkLedger;
import io.qring.channel.noise.PauliChannel;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/**
 * CPU time of the per-byte work a noiseless quantum ring adds to one all-reduce, measured on its own
 * on the calling thread: the superdense codec (the sender's encode onto its EPR pool and the receiver's
 * decode) and the CRC-32C block checksums both ends compute (one block per frame without noise), for
 * the volume every link of the ring carries, in frames of the ring's chunk length, through pools of the
 * quantum links' default capacity that refill on demand as theirs do. Nothing else runs on the thread, so
 * its data stays in cache: a lower bound on what the same work costs inside the ring, where the ranks
 * share the cores and caches. Subtracted from the quantum ring's extra CPU time it leaves the share of the
 * protocol and of the waiting it causes.
 */
final class CodingCost
{
    private static final long LINK_SEED = 0xC0DEL;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final int chunkLength;
    private final long bytesPerAllReduce;
    private final UnsafeBuffer payload;
    private final UnsafeBuffer wire;
    private final UnsafeBuffer decoded;
    private final SuperdenseEncoder encoder;
    private final SuperdenseDecoder decoder;
    private final CRC32C crc = new CRC32C();

    /**
     * @param chunkLength       payload bytes per frame (the ring's chunk length).
     * @param bytesPerAllReduce payload bytes all links of the ring carry in one all-reduce together.
     */
    CodingCost(final int chunkLength, final long bytesPerAllReduce)
    {
        this.chunkLength = chunkLength;
        this.bytesPerAllReduce = bytesPerAllReduce;
        final LinkLedger ledger = new LinkLedger("0->1");
        this.encoder = new SuperdenseEncoder(pool(EprPool.Side.SENDER, ledger));
        this.decoder = new SuperdenseDecoder(pool(EprPool.Side.RECEIVER, ledger), PauliChannel.NOISELESS);
        final byte[] bytes = new byte[chunkLength];
        new SplittableRandom(42).nextBytes(bytes);
        this.payload = new UnsafeBuffer(bytes);
        this.wire = new UnsafeBuffer(new byte[SuperdenseEncoder.wireLength(chunkLength)]);
        this.decoded = new UnsafeBuffer(new byte[chunkLength]);
    }

    /**
     * Codes one all-reduce's volume {@code warmUp} times untimed, then {@code repetitions} times timed.
     *
     * @param warmUp      untimed passes.
     * @param repetitions timed passes, at least one.
     * @return CPU time of each timed pass, ns.
     * @throws IllegalStateException if a decoded frame's checksum differs from the payload's.
     */
    long[] measure(final int warmUp, final int repetitions)
    {
        for (int i = 0; i < warmUp; i++)
        {
            codeOneAllReduce();
        }
        final long[] cpuNs = new long[repetitions];
        for (int i = 0; i < repetitions; i++)
        {
            final long start = THREADS.getCurrentThreadCpuTime();
            codeOneAllReduce();
            cpuNs[i] = THREADS.getCurrentThreadCpuTime() - start;
        }
        return cpuNs;
    }

    private void codeOneAllReduce()
    {
        for (long done = 0; done < bytesPerAllReduce; done += chunkLength)
        {
            final int length = (int)Math.min(chunkLength, bytesPerAllReduce - done);
            final int sent = checksum(payload, length);
            final int wireLength = encoder.encode(payload, 0, length, wire, 0);
            decoder.decode(wire, 0, wireLength, decoded, 0);
            if (checksum(decoded, length) != sent)
            {
                throw new IllegalStateException("the noiseless codec decoded a " + length + "-byte frame to other bytes");
            }
        }
    }

    private int checksum(final UnsafeBuffer buffer, final int length)
    {
        crc.reset();
        crc.update(buffer.byteArray(), 0, length);
        return (int)crc.getValue();
    }

    private static EprPool pool(final EprPool.Side side, final LinkLedger ledger)
    {
        return EprPool.builder()
            .linkName("0->1")
            .side(side)
            .capacity(QuantumLinkSettings.builder().build().poolCapacityPairs())
            .linkSeed(LINK_SEED)
            .exhaustionPolicy(ExhaustionPolicy.REFILL_ON_DEMAND)
            .ledger(ledger)
            .build();
    }
}
