package io.qring.channel.codec;

import io.qring.channel.noise.PauliChannel;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SuperdenseHotPathTest
{
    private static final int LENGTH = 20_003;
    private static final int FRAMES_PER_WINDOW = 200;
    /**
     * JIT transitions (OSR, deoptimisation) allocate a few hundred bytes now and then while the loops warm
     * up; a per-frame allocation would show in every window, so the steady state is the quietest window.
     */
    private static final int WINDOWS = 10;

    @ParameterizedTest(name = "online depolarizing {0}")
    @ValueSource(doubles = {0, 1e-3})
    void shouldEncodeAndDecodeWithoutAllocatingPerFrame(final double p)
    {
        final LinkFixture link = new LinkFixture("0->1", 1, 1L << 30, PauliChannel.NOISELESS, null, PauliChannel.depolarizing(p));
        final byte[] bytes = new byte[LENGTH];
        new SplittableRandom(1).nextBytes(bytes);
        final UnsafeBuffer payload = new UnsafeBuffer(bytes);
        final UnsafeBuffer wire = new UnsafeBuffer(new byte[SuperdenseEncoder.wireLength(LENGTH)]);
        final UnsafeBuffer decoded = new UnsafeBuffer(new byte[LENGTH]);
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        roundTrips(link, payload, wire, decoded, FRAMES_PER_WINDOW);

        final long[] allocatedPerWindow = new long[WINDOWS];
        for (int window = 0; window < WINDOWS; window++)
        {
            final long before = threads.getCurrentThreadAllocatedBytes();
            roundTrips(link, payload, wire, decoded, FRAMES_PER_WINDOW);
            allocatedPerWindow[window] = threads.getCurrentThreadAllocatedBytes() - before;
        }
        assertTrue(Arrays.stream(allocatedPerWindow).min().orElseThrow() < 256,
            "every window of " + FRAMES_PER_WINDOW + " frames allocated (pools refilled before measuring), bytes per window: " +
            Arrays.toString(allocatedPerWindow));
    }

    @Test
    void shouldReproduceTheSameErrorsFromTheSameLinkSeedAndNoiseStream()
    {
        final PauliChannel online = PauliChannel.depolarizing(0.01);
        final byte[] payload = new byte[50_000];
        final byte[] a = new LinkFixture("0->1", 77, 1 << 20, PauliChannel.werner(0.99), null, online).roundTrip(payload);
        final byte[] b = new LinkFixture("0->1", 77, 1 << 20, PauliChannel.werner(0.99), null, online).roundTrip(payload);
        final byte[] otherSeed = new LinkFixture("0->1", 78, 1 << 20, PauliChannel.werner(0.99), null, online).roundTrip(payload);
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, otherSeed));

        final LinkFixture link = new LinkFixture("0->1", 77, 1 << 20, PauliChannel.werner(0.99), null, online);
        final SuperdenseDecoder otherStream = new SuperdenseDecoder(link.receiver, online, 1);
        final byte[] wire = link.encode(payload);
        final byte[] c = new byte[payload.length];
        otherStream.decode(wire, 0, wire.length, c, 0);
        assertFalse(Arrays.equals(a, c));
    }

    /**
     * A frame's errors depend on its noise key, not on what was decoded before it: a repair decoded
     * before or after the next frame must not change either one's errors. Here the first frame is
     * decoded under two different keys (so it draws different errors), and the second frame, under the
     * same key, still decodes to the same bytes.
     */
    @Test
    void shouldDrawAFramesErrorsFromItsNoiseKeyAloneWhateverWasDecodedBefore()
    {
        final PauliChannel online = PauliChannel.depolarizing(0.01);
        final byte[] payload = new byte[20_000];
        final byte[][] firstFrames = new byte[2][];
        final byte[][] secondFrames = new byte[2][];
        for (int run = 0; run < 2; run++)
        {
            final LinkFixture link = new LinkFixture("0->1", 77, 1 << 20, PauliChannel.werner(0.99), null, online);
            final byte[] first = link.encode(payload);
            final byte[] second = link.encode(payload);
            firstFrames[run] = new byte[payload.length];
            secondFrames[run] = new byte[payload.length];
            link.decoder.decode(new UnsafeBuffer(first), 0, first.length, new UnsafeBuffer(firstFrames[run]), 0, 100 + run);
            link.decoder.decode(new UnsafeBuffer(second), 0, second.length, new UnsafeBuffer(secondFrames[run]), 0, 200);
        }
        assertFalse(Arrays.equals(firstFrames[0], firstFrames[1]), "different keys draw different errors");
        assertFalse(Arrays.equals(payload, secondFrames[0]), "the second frame has errors");
        assertArrayEquals(secondFrames[0], secondFrames[1]);
    }

    private static void roundTrips(
        final LinkFixture link, final UnsafeBuffer payload, final UnsafeBuffer wire, final UnsafeBuffer decoded, final int frames)
    {
        for (int i = 0; i < frames; i++)
        {
            final int wireLength = link.encoder.encode(payload, 0, LENGTH, wire, 0);
            link.decoder.decode(wire, 0, wireLength, decoded, 0);
        }
    }
}
