package io.qring.channel.noise;

import io.qring.channel.frame.PauliFrame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.stream.Stream;

import static io.qring.channel.noise.StatisticalAssert.assertBinomial;
import static io.qring.channel.noise.StatisticalAssert.assertFits;
import static io.qring.channel.noise.StatisticalAssert.labelProbabilities;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PauliErrorSamplerTest
{
    private static final int PAIRS = 1 << 20;

    static Stream<Arguments> channels()
    {
        return Stream.of(
            Arguments.of("depolarizing 1e-3", PauliChannel.depolarizing(1e-3)),
            Arguments.of("asymmetric", new PauliChannel(0.01, 0.003, 0.02)),
            Arguments.of("werner 0.6", PauliChannel.werner(0.6)),
            Arguments.of("always X", PauliChannel.bitFlip(1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("channels")
    void shouldSampleSparseFrameErrorsWithTheChannelLabelDistribution(final String name, final PauliChannel channel)
    {
        final long[] frame = new long[PauliFrame.wordsFor(PAIRS)];
        final long errors = new PauliErrorSampler(channel, 42).xorErrors(frame, 0, PAIRS);
        final long[] counts = PauliFrame.countLabels(frame, frame.length);
        assertEquals(errors, PAIRS - counts[0]);
        assertFits(counts, labelProbabilities(channel), name);
        assertBinomial(counts[PauliChannel.X] + counts[PauliChannel.Y], PAIRS, channel.b2FlipProbability(), name + " b2 flips");
        assertBinomial(counts[PauliChannel.Z] + counts[PauliChannel.Y], PAIRS, channel.b1FlipProbability(), name + " b1 flips");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("channels")
    void shouldSampleSingleLabelsWithTheChannelLabelDistribution(final String name, final PauliChannel channel)
    {
        final PauliErrorSampler sampler = new PauliErrorSampler(channel, 7);
        final long[] counts = new long[4];
        for (int i = 0; i < PAIRS; i++)
        {
            counts[sampler.sampleLabel()]++;
        }
        assertFits(counts, labelProbabilities(channel), name);
    }

    @Test
    void shouldReproduceTheSameErrorsFromTheSameSeed()
    {
        final PauliChannel channel = PauliChannel.depolarizing(0.05);
        final long[] a = new long[64];
        final long[] b = new long[64];
        final long[] c = new long[64];
        new PauliErrorSampler(channel, 99).xorErrors(a, 5, 2000);
        new PauliErrorSampler(channel, 99).xorErrors(b, 5, 2000);
        new PauliErrorSampler(channel, 100).xorErrors(c, 5, 2000);
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
    }

    @Test
    void shouldOnlyTouchTheRequestedPairs()
    {
        final long[] frame = new long[4];
        new PauliErrorSampler(PauliChannel.bitFlip(1), 1).xorErrors(frame, 33, 30);
        for (int pair = 0; pair < 128; pair++)
        {
            assertEquals(pair >= 33 && pair < 63 ? PauliChannel.X : 0, PauliFrame.symbol(frame, pair), "pair " + pair);
        }
    }

    @Test
    void shouldLeaveAFrameUntouchedWithoutNoise()
    {
        final long[] frame = {1, 2, 3};
        assertEquals(0, new PauliErrorSampler(PauliChannel.NOISELESS, 1).xorErrors(frame, 0, 96));
        assertArrayEquals(new long[] {1, 2, 3}, frame);
        assertEquals(0, new PauliErrorSampler(PauliChannel.NOISELESS, 1).sampleLabel());
    }

    @Test
    void shouldRejectPairsOutsideTheFrame()
    {
        final PauliErrorSampler sampler = new PauliErrorSampler(PauliChannel.depolarizing(0.1), 1);
        assertThrows(IndexOutOfBoundsException.class, () -> sampler.xorErrors(new long[2], 60, 5));
        assertThrows(IndexOutOfBoundsException.class, () -> sampler.xorErrors(new long[2], -1, 5));
    }
}
