package io.qring.channel.noise;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class SplitMix64Test
{
    @Test
    void shouldDrawTheSequenceOfTheJdksSplittableRandom()
    {
        for (final long seed : new long[]{0, 1, -1, 0x5EED_CAFE_F00DL, Long.MIN_VALUE})
        {
            final SplittableRandom jdk = new SplittableRandom(seed);
            final SplitMix64 ours = new SplitMix64(seed);
            for (int i = 0; i < 1_000; i++)
            {
                assertEquals(jdk.nextLong(), ours.nextLong(), "seed " + seed + ", draw " + i);
                assertEquals(jdk.nextDouble(), ours.nextDouble(), "seed " + seed + ", draw " + i);
            }
        }
    }

    @Test
    void shouldRestartTheSequenceWhenReseeded()
    {
        final SplitMix64 generator = new SplitMix64(42);
        final long first = generator.nextLong();
        generator.nextLong();
        generator.reseed(42);
        assertEquals(first, generator.nextLong());
    }

    @Test
    void shouldSampleAfterReseedExactlyWhatANewSamplerSamples()
    {
        final PauliChannel channel = PauliChannel.depolarizing(0.05);
        final PauliErrorSampler reused = new PauliErrorSampler(channel, 1);
        reused.xorErrors(new long[64], 0, 2_048);
        reused.reseed(9);
        final long[] reseeded = new long[64];
        final long[] fresh = new long[64];
        assertEquals(new PauliErrorSampler(channel, 9).xorErrors(fresh, 0, 2_048), reused.xorErrors(reseeded, 0, 2_048));
        assertArrayEquals(fresh, reseeded);
    }
}
