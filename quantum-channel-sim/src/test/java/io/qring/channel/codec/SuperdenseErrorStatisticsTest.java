package io.qring.channel.codec;

import io.qring.channel.epr.MemoryDecoherence;
import io.qring.channel.frame.PauliFrame;
import io.qring.channel.noise.PauliChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.qring.channel.noise.StatisticalAssert.assertBinomial;
import static io.qring.channel.noise.StatisticalAssert.assertFits;
import static io.qring.channel.noise.StatisticalAssert.labelProbabilities;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Decoded-symbol errors through the real encode/decode path match each noise model exactly: for
 * 2^20 symbols per model, the counts of error labels (I, X, Z, Y) pass a chi-square test at
 * significance 10^−4 and the b1/b2 flip counts lie within 5 sigma of pZ + pY and pX + pY.
 */
class SuperdenseErrorStatisticsTest
{
    private static final int SYMBOLS = 1 << 20;
    private static final int PAYLOAD_BYTES = SYMBOLS / 4;
    private static final double T1 = 1.0;
    private static final double T2 = 0.8;

    static Stream<Arguments> noiseModels()
    {
        return Stream.of(
            Arguments.of("online depolarizing 1e-3", PauliChannel.NOISELESS, 0.0, PauliChannel.depolarizing(1e-3),
                PauliChannel.depolarizing(1e-3)),
            Arguments.of("online depolarizing 1e-2", PauliChannel.NOISELESS, 0.0, PauliChannel.depolarizing(1e-2),
                PauliChannel.depolarizing(1e-2)),
            Arguments.of("online dephasing 0.03", PauliChannel.NOISELESS, 0.0, PauliChannel.dephasing(0.03),
                new PauliChannel(0, 0, 0.03)),
            Arguments.of("online bit flip 0.02", PauliChannel.NOISELESS, 0.0, PauliChannel.bitFlip(0.02),
                new PauliChannel(0.02, 0, 0)),
            Arguments.of("online amplitude damping 0.2", PauliChannel.NOISELESS, 0.0, PauliChannel.amplitudeDamping(0.2),
                amplitudeDamping(0.2)),
            Arguments.of("distribution Werner F=0.9", PauliChannel.werner(0.9), 0.0, PauliChannel.NOISELESS,
                new PauliChannel(0.1 / 3, 0.1 / 3, 0.1 / 3)),
            Arguments.of("distribution both-halves damping 0.1/0.3", PauliChannel.amplitudeDampingBothHalves(0.1, 0.3), 0.0,
                PauliChannel.NOISELESS, PauliChannel.amplitudeDampingBothHalves(0.1, 0.3)),
            Arguments.of("memory T1=1 T2=0.8 for 20 ms", PauliChannel.NOISELESS, 0.02, PauliChannel.NOISELESS, memory(0.02)),
            Arguments.of("memory T1=1 T2=0.8 for 100 ms", PauliChannel.NOISELESS, 0.1, PauliChannel.NOISELESS, memory(0.1)),
            Arguments.of("memory T1=1 T2=0.8 for 500 ms", PauliChannel.NOISELESS, 0.5, PauliChannel.NOISELESS, memory(0.5)),
            Arguments.of("Werner 0.95, 100 ms memory, online depolarizing 1e-2", PauliChannel.werner(0.95), 0.1,
                PauliChannel.depolarizing(1e-2),
                new MemoryDecoherence(T1, T2).apply(PauliChannel.werner(0.95), 0.1).then(PauliChannel.depolarizing(1e-2))),
            Arguments.of("Werner 0.97 then online dephasing 0.02 and bit flip 0.01", PauliChannel.werner(0.97), 0.0,
                PauliChannel.dephasing(0.02).then(PauliChannel.bitFlip(0.01)),
                compose(PauliChannel.werner(0.97), new PauliChannel(0, 0, 0.02), new PauliChannel(0.01, 0, 0))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("noiseModels")
    void shouldDecodeWithTheExactErrorDistributionOfTheNoiseModel(
        final String name, final PauliChannel distribution, final double storageSeconds, final PauliChannel online,
        final PauliChannel expected)
    {
        final MemoryDecoherence memory = storageSeconds > 0 ? new MemoryDecoherence(T1, T2) : null;
        final LinkFixture link = new LinkFixture("0->1", name.hashCode(), SYMBOLS, distribution, memory, online);
        link.sender.refill();
        link.receiver.refill();
        link.clock.advance((long)(storageSeconds * TimeUnit.SECONDS.toNanos(1)));

        final long[] errors = decodedErrors(link, PAYLOAD_BYTES, new SplittableRandom(name.hashCode()));
        assertErrorDistribution(name, expected, PauliFrame.countLabels(errors, errors.length));
    }

    @Test
    void shouldSampleEachBatchOfAFrameWithItsOwnStorageTime()
    {
        final MemoryDecoherence memory = new MemoryDecoherence(T1, T2);
        final LinkFixture link = new LinkFixture("0->1", 99, SYMBOLS, PauliChannel.werner(0.98), memory, PauliChannel.NOISELESS);
        final SplittableRandom random = new SplittableRandom(99);
        link.sender.refill();
        link.receiver.refill();
        decodedErrors(link, PAYLOAD_BYTES / 2, random);
        link.clock.advance(TimeUnit.MILLISECONDS.toNanos(300));
        link.sender.refill();
        link.receiver.refill();
        link.clock.advance(TimeUnit.MILLISECONDS.toNanos(100));

        final long[] errors = decodedErrors(link, PAYLOAD_BYTES, random);
        final int half = errors.length / 2;
        final long[] older = PauliFrame.countLabels(errors, half);
        final long[] all = PauliFrame.countLabels(errors, errors.length);
        final long[] newer = new long[4];
        for (int i = 0; i < 4; i++)
        {
            newer[i] = all[i] - older[i];
        }
        assertErrorDistribution("stored 400 ms", memory.apply(PauliChannel.werner(0.98), 0.4), older);
        assertErrorDistribution("stored 100 ms", memory.apply(PauliChannel.werner(0.98), 0.1), newer);
    }

    private static long[] decodedErrors(final LinkFixture link, final int length, final SplittableRandom random)
    {
        final byte[] payload = new byte[length];
        random.nextBytes(payload);
        final byte[] decoded = link.roundTrip(payload);
        final long[] errors = new long[length / 8];
        final long[] sent = new long[length / 8];
        ByteBuffer.wrap(decoded).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(errors);
        ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(sent);
        PauliFrame.xor(errors, 0, sent, 0, errors.length);
        return errors;
    }

    private static void assertErrorDistribution(final String name, final PauliChannel expected, final long[] counts)
    {
        final long symbols = counts[0] + counts[1] + counts[2] + counts[3];
        assertEquals(0, symbols % 32);
        assertFits(counts, labelProbabilities(expected), name);
        assertBinomial(counts[PauliChannel.Z] + counts[PauliChannel.Y], symbols, expected.b1FlipProbability(), name + " b1 flips");
        assertBinomial(counts[PauliChannel.X] + counts[PauliChannel.Y], symbols, expected.b2FlipProbability(), name + " b2 flips");
    }

    private static PauliChannel amplitudeDamping(final double gamma)
    {
        final double root = 1 - Math.sqrt(1 - gamma);
        return new PauliChannel(gamma / 4, gamma / 4, root * root / 4);
    }

    /** The T1/T2 memory of both halves of a perfect pair, from the design formulas. */
    private static PauliChannel memory(final double t)
    {
        final double gamma = 1 - Math.exp(-t / T1);
        final double q = (1 - Math.exp(-t * (1 / T2 - 1 / (2 * T1)))) / 2;
        return PauliChannel.amplitudeDampingBothHalves(gamma, gamma).then(PauliChannel.dephasing(q)).then(PauliChannel.dephasing(q));
    }

    private static PauliChannel compose(final PauliChannel... channels)
    {
        final double[] weights = {1, 0, 0, 0};
        for (final PauliChannel c : channels)
        {
            final double[] next = new double[4];
            for (int a = 0; a < 4; a++)
            {
                for (int b = 0; b < 4; b++)
                {
                    next[a ^ b] += weights[a] * c.weight(b);
                }
            }
            System.arraycopy(next, 0, weights, 0, 4);
        }
        return new PauliChannel(weights[PauliChannel.X], weights[PauliChannel.Y], weights[PauliChannel.Z]);
    }
}
