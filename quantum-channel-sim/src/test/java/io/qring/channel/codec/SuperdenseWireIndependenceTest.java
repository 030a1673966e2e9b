package io.qring.channel.codec;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static io.qring.channel.noise.StatisticalAssert.assertIndependent;
import static io.qring.channel.noise.StatisticalAssert.assertUniform;

/**
 * The wire symbols alone are uniform and independent of the payload, like the reduced state I/2 of a
 * physical transmitted qubit: chi-square tests at significance 10^−4 over 2^20 symbols per payload.
 */
class SuperdenseWireIndependenceTest
{
    private static final int BYTES = 1 << 18;

    @Test
    void shouldSendUniformSymbolsAndSymbolPairsWhateverThePayload()
    {
        final LinkFixture link = LinkFixture.noiseless(4L * BYTES);
        for (final byte[] payload : payloads())
        {
            final byte[] wire = link.encode(payload);
            assertUniform(symbolCounts(wire), "wire symbols");
            assertIndependent(adjacentSymbolPairs(wire), "adjacent wire symbols");
            final byte[] key = new byte[BYTES];
            for (int i = 0; i < BYTES; i++)
            {
                key[i] = (byte)(wire[SuperdenseFrameHeader.LENGTH + i] ^ payload[i]);
            }
            assertUniform(symbolCounts(withHeader(key)), "wire xor payload symbols");
        }
    }

    @Test
    void shouldSendTheSameSymbolDistributionForZeroRandomAndOnesPayloads()
    {
        final LinkFixture link = LinkFixture.noiseless(4L * BYTES);
        final byte[][] payloads = payloads();
        final long[][] table = new long[payloads.length][];
        for (int i = 0; i < payloads.length; i++)
        {
            table[i] = symbolCounts(link.encode(payloads[i]));
        }
        assertIndependent(table, "wire symbol distribution vs payload kind");
    }

    @Test
    void shouldSendSymbolsIndependentOfTheRandomPayloadSymbolTheyCarry()
    {
        final LinkFixture link = LinkFixture.noiseless(4L * BYTES);
        final byte[] payload = payloads()[1];
        final byte[] wire = link.encode(payload);
        final long[][] table = new long[4][4];
        for (int i = 0; i < BYTES; i++)
        {
            for (int k = 0; k < 4; k++)
            {
                table[(payload[i] >>> (2 * k)) & 3][(wire[SuperdenseFrameHeader.LENGTH + i] >>> (2 * k)) & 3]++;
            }
        }
        assertIndependent(table, "payload symbol vs wire symbol");
    }

    private static byte[][] payloads()
    {
        final byte[] zeros = new byte[BYTES];
        final byte[] random = new byte[BYTES];
        new SplittableRandom(8).nextBytes(random);
        final byte[] ones = new byte[BYTES];
        Arrays.fill(ones, (byte)0xFF);
        return new byte[][] {zeros, random, ones};
    }

    private static byte[] withHeader(final byte[] symbols)
    {
        final byte[] wire = new byte[SuperdenseFrameHeader.LENGTH + symbols.length];
        System.arraycopy(symbols, 0, wire, SuperdenseFrameHeader.LENGTH, symbols.length);
        return wire;
    }

    private static long[] symbolCounts(final byte[] wire)
    {
        final long[] counts = new long[4];
        for (int i = SuperdenseFrameHeader.LENGTH; i < wire.length; i++)
        {
            for (int k = 0; k < 4; k++)
            {
                counts[(wire[i] >>> (2 * k)) & 3]++;
            }
        }
        return counts;
    }

    private static long[][] adjacentSymbolPairs(final byte[] wire)
    {
        final long[][] counts = new long[4][4];
        for (int i = SuperdenseFrameHeader.LENGTH; i < wire.length; i++)
        {
            counts[wire[i] & 3][(wire[i] >>> 2) & 3]++;
            counts[(wire[i] >>> 4) & 3][(wire[i] >>> 6) & 3]++;
        }
        return counts;
    }
}
