package io.qring.allreduce.config;

import io.qring.allreduce.Ring;
import io.qring.allreduce.link.FrameHeaderFlyweight;
import io.qring.allreduce.link.InMemoryNetwork;
import io.qring.allreduce.link.LinkWrapper;
import io.qring.allreduce.quantum.QuantumLinkSettings;
import io.qring.channel.verify.InterceptResendEavesdropper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RingContextTest
{
    private static final byte[] SECRET = "sixteen or more bytes".getBytes(StandardCharsets.UTF_8);

    @Test
    void shouldReadEveryQringVariableFromTheEnvironment()
    {
        final RingContext context = new RingContext().applyEnvironment(Map.of(
            RingContext.WORLD_SIZE_ENV, "3",
            RingContext.RANK_ENV, "2",
            RingContext.PEERS_ENV, "10.0.0.1:4000, 10.0.0.2:4000,10.0.0.3:4001",
            RingContext.SECRET_ENV, "hex:000102030405060708090a0b0c0d0e0f",
            RingContext.TRANSPORT_ENV, "udp",
            RingContext.AERON_DIR_ENV, "/dev/shm/external")).conclude();
        assertEquals(3, context.worldSize());
        assertEquals(2, context.rank());
        assertEquals(List.of("10.0.0.1:4000", "10.0.0.2:4000", "10.0.0.3:4001"), context.peers());
        assertArrayEquals(new byte[]{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, context.sharedSecret());
        assertEquals(TransportKind.UDP, context.transport());
        assertFalse(context.embeddedMediaDriver());
        assertEquals("/dev/shm/external", context.aeronDirectoryName());
        assertEquals(RingContext.DEFAULT_UDP_MTU_LENGTH, context.mtuLength());
    }

    @Test
    void shouldTakeATextSecretAsUtf8AndKeepDefaults()
    {
        final RingContext context = new RingContext().applyEnvironment(Map.of(
            RingContext.WORLD_SIZE_ENV, "2", RingContext.RANK_ENV, "0",
            RingContext.SECRET_ENV, "a text secret, sixteen+", RingContext.TRANSPORT_ENV, "IPC")).conclude();
        assertArrayEquals("a text secret, sixteen+".getBytes(StandardCharsets.UTF_8), context.sharedSecret());
        assertEquals(RingContext.DEFAULT_CHUNK_LENGTH, context.chunkLength());
        assertEquals(RingContext.DEFAULT_TERM_LENGTH, context.termLength());
        assertEquals(RingContext.DEFAULT_NON_FINITE_POLICY, context.nonFinitePolicy());
        assertEquals(RingContext.DEFAULT_IPC_MTU_LENGTH, context.mtuLength());
        assertTrue(context.embeddedMediaDriver());
    }

    @Test
    void shouldNameTheBadVariable()
    {
        final IllegalArgumentException rank = assertThrows(IllegalArgumentException.class,
            () -> new RingContext().applyEnvironment(Map.of(RingContext.RANK_ENV, "two")));
        assertTrue(rank.getMessage().contains(RingContext.RANK_ENV));
        final IllegalArgumentException transport = assertThrows(IllegalArgumentException.class,
            () -> new RingContext().applyEnvironment(Map.of(RingContext.TRANSPORT_ENV, "carrier-pigeon")));
        assertTrue(transport.getMessage().contains(RingContext.TRANSPORT_ENV));
    }

    @Test
    void shouldNameTheVariableAnInvalidSettingCameFrom()
    {
        assertInvalid(fromEnvironment(Map.of(RingContext.WORLD_SIZE_ENV, "1", RingContext.RANK_ENV, "0")),
            "worldSize must be at least 2, got 1 (from QRING_WORLD_SIZE)");
        assertInvalid(fromEnvironment(Map.of(RingContext.WORLD_SIZE_ENV, "2", RingContext.RANK_ENV, "2")),
            "rank must be in [0, 2), got 2 (from QRING_RANK, QRING_WORLD_SIZE)");
        assertInvalid(fromEnvironment(Map.of(RingContext.RANK_ENV, "5")).worldSize(3),
            "rank must be in [0, 3), got 5 (from QRING_RANK)");
        assertInvalid(fromEnvironment(Map.of(RingContext.TRANSPORT_ENV, "in_memory")).worldSize(2).rank(0),
            "transport IN_MEMORY needs an inMemoryNetwork shared by the ranks (from QRING_TRANSPORT)");
        assertInvalid(fromEnvironment(Map.of(RingContext.TRANSPORT_ENV, "udp", RingContext.WORLD_SIZE_ENV, "2",
            RingContext.PEERS_ENV, "h:1,h:2,h:3")).rank(0).copy(),
            "UDP needs one endpoint per rank (QRING_PEERS), got 3 for worldSize 2 (from QRING_TRANSPORT, QRING_WORLD_SIZE)");
        final IllegalArgumentException setAfterwards = assertThrows(IllegalArgumentException.class,
            () -> fromEnvironment(Map.of(RingContext.WORLD_SIZE_ENV, "2", RingContext.RANK_ENV, "5")).worldSize(1).rank(7).conclude());
        assertEquals("worldSize must be at least 2, got 1", setAfterwards.getMessage());
        final IllegalArgumentException fluent = assertThrows(IllegalArgumentException.class, () -> valid().rank(2).conclude());
        assertEquals("rank must be in [0, 2), got 2", fluent.getMessage());
    }

    @Test
    void shouldRejectEachInvalidSettingWithAClearMessage()
    {
        assertInvalid(valid().worldSize(1), "worldSize");
        assertInvalid(valid().rank(2), "rank");
        assertInvalid(valid().transport(null), "transport");
        assertInvalid(valid().sharedSecret(new byte[15]), "sharedSecret");
        assertInvalid(valid().chunkLength(12), "chunkLength");
        assertInvalid(valid().termLength(3 << 20), "termLength");
        assertInvalid(valid().termLength(64 * 1024).chunkLength(8 * 1024), "chunkLength 8192 plus");
        assertInvalid(valid().chunkLength(Integer.MAX_VALUE - 7), "chunkLength 2147483640 plus");
        assertInvalid(valid().transport(TransportKind.IN_MEMORY).inMemoryNetwork(new InMemoryNetwork(2, 1 << 20, 4))
            .chunkLength(Integer.MAX_VALUE - 7), "chunkLength 2147483640 plus");
        assertInvalid(valid().mtuLength(1000), "mtuLength");
        assertInvalid(valid().operationTimeoutNs(0), "operationTimeoutNs must be positive, got 0");
        assertInvalid(valid().connectTimeoutNs(-1), "connectTimeoutNs must be positive, got -1");
        assertInvalid(valid().driverLivenessTimeoutNs(0), "driverLivenessTimeoutNs must be positive, got 0");
        assertInvalid(valid().linkWrapper(null), "linkWrapper must not be null");
        assertInvalid(valid().transport(TransportKind.UDP), "UDP needs one endpoint per rank");
        assertInvalid(valid().transport(TransportKind.UDP).peers(List.of("host:1", "nohost")), "host:port");
        assertInvalid(valid().transport(TransportKind.UDP).peers(List.of("host:1", "host:70000")), "port out of range");
        assertInvalid(valid().transport(TransportKind.IN_MEMORY), "inMemoryNetwork");
        assertInvalid(valid().transport(TransportKind.IN_MEMORY).inMemoryNetwork(new InMemoryNetwork(3, 1 << 20, 4)),
            "inMemoryNetwork has 3 ranks");
        assertInvalid(valid().embeddedMediaDriver(false), "aeronDirectoryName");
        assertInvalid(valid().linkWrapper(QuantumLinkSettings.builder().eavesdropper(1, 2, InterceptResendEavesdropper.everyPair())
            .build().wrapper().then(LinkWrapper.IDENTITY)), "eavesdropper on link 1->2, which a ring of 2 ranks does not have");
        valid().linkWrapper(QuantumLinkSettings.builder().eavesdropper(1, 0, InterceptResendEavesdropper.everyPair()).build().wrapper())
            .conclude();
    }

    @Test
    void shouldComposeTheRingSettingsAndRejectSharedSettingsTheLinksCannotCarry()
    {
        final Map<String, String> job = Map.of("job.epochs", "2");
        assertEquals(Map.of(RingContext.LINKS_SETTING, "classical", "job.epochs", "2"), valid().sharedSettings(job).ringSettings());
        final Map<String, String> quantum = valid().linkWrapper(QuantumLinkSettings.builder().seed(7).build().wrapper()
            .then(LinkWrapper.IDENTITY)).sharedSettings(job).conclude().ringSettings();
        assertEquals("quantum", quantum.get(RingContext.LINKS_SETTING));
        assertEquals("7", quantum.get("quantum.seed"));
        assertEquals("2", quantum.get("job.epochs"));
        assertInvalid(valid().sharedSettings(Map.of(RingContext.LINKS_SETTING, "mine")), "shared setting links has the name of a link setting");
        assertInvalid(valid().linkWrapper(QuantumLinkSettings.builder().build().wrapper()).sharedSettings(Map.of("quantum.seed", "1")),
            "shared setting quantum.seed");
        assertInvalid(valid().sharedSettings(Map.of("a=b", "1")), "ring setting names must be non-empty without '='");
        assertInvalid(valid().sharedSettings(Map.of("a", "1\n2")), "values without line breaks");
        assertInvalid(valid().sharedSettings(Map.of("a", "x".repeat(RingContext.MAX_RING_SETTINGS_BYTES))),
            "more than " + RingContext.MAX_RING_SETTINGS_BYTES);
        assertEquals(job, valid().sharedSettings(job).copy().sharedSettings());
    }

    @Test
    void shouldWriteSettingNumbersAsTheShortestDecimalThatReadsBackExactly()
    {
        assertEquals("0.01", RingContext.settingValue(0.01));
        assertEquals("0.000001", RingContext.settingValue(1e-6));
        assertEquals("1E-7", RingContext.settingValue(1e-7));
        assertEquals("2E+23", RingContext.settingValue(2e23));
        assertEquals("0.30000000000000004", RingContext.settingValue(0.1 + 0.2));
        assertEquals("0.3333333333333333", RingContext.settingValue(1.0 / 3));
        assertEquals("0", RingContext.settingValue(0.0));
        assertEquals("-0", RingContext.settingValue(-0.0));
        assertEquals(-0.0, Double.parseDouble(RingContext.settingValue(-0.0)));
        assertEquals("7.120236347223045E-307", RingContext.settingValue(7.1202363472230444E-307),
            "near a power of two the shortest decimal that reads back is not the nearest at its length");
        assertEquals(7.1202363472230444E-307, Double.parseDouble("7.120236347223045E-307"));
        assertEquals("NaN", RingContext.settingValue(Double.NaN));
        final SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < 10_000; i++)
        {
            final double value = Double.longBitsToDouble(random.nextLong()) % 1e300;
            if (Double.isFinite(value))
            {
                assertEquals(value, Double.parseDouble(RingContext.settingValue(value)), "reads back: " + value);
            }
        }
    }

    @Test
    void shouldCapTheDefaultMtuAtTheTermsLargestMessage()
    {
        final RingContext context = valid().termLength(64 * 1024).chunkLength(4096).conclude();
        assertEquals(8192, context.mtuLength());
        assertEquals(8192, RingContext.maxMessageLength(64 * 1024));
        assertEquals(16 << 20, RingContext.maxMessageLength(1 << 30));
    }

    @Test
    void shouldSizeTheTermForTheChunkUnlessSet()
    {
        assertEquals(RingContext.DEFAULT_TERM_LENGTH, valid().conclude().termLength());
        assertEquals(RingContext.DEFAULT_TERM_LENGTH, RingContext.termLengthFor(RingContext.DEFAULT_CHUNK_LENGTH));
        assertEquals(16 << 20, valid().chunkLength(1 << 20).conclude().termLength());
        assertEquals(RingContext.MIN_TERM_LENGTH, valid().chunkLength(4096).conclude().termLength());
        assertEquals(128 * 1024, RingContext.termLengthFor(16 * 1024 - FrameHeaderFlyweight.HEADER_LENGTH));
        assertEquals(256 * 1024, RingContext.termLengthFor(16 * 1024 - FrameHeaderFlyweight.HEADER_LENGTH + 8));
        assertEquals(1 << 20, valid().chunkLength(4096).termLength(1 << 20).conclude().termLength());
    }

    @Test
    void shouldCopyEverySettingIndependently()
    {
        final RingContext original = valid().chunkLength(8192).ringId(9).streamIdBase(123).conclude();
        final RingContext copy = original.copy();
        assertNotSame(original, copy);
        assertFalse(copy.isConcluded());
        assertEquals(original.toString(), copy.conclude().toString());
        copy.rank(0);
        assertEquals(1, original.rank());
        assertFalse(original.toString().contains("sixteen"), "the secret never appears in toString");
    }

    /** A rank binds the settings as they are when it binds: a setter after conclude() cannot skip validation. */
    @Test
    void shouldValidateASettingChangedAfterConcludeWhenTheRankBinds()
    {
        final RingContext context = new RingContext().worldSize(3).rank(0).transport(TransportKind.IN_MEMORY)
            .inMemoryNetwork(new InMemoryNetwork(3, 1 << 20, 4)).sharedSecret(SECRET).conclude();
        context.rank(7);

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> Ring.bind(context));

        assertTrue(ex.getMessage().contains("rank must be in [0, 3), got 7"), ex.getMessage());
    }

    private static RingContext valid()
    {
        return new RingContext().worldSize(2).rank(1).transport(TransportKind.IPC).sharedSecret(SECRET);
    }

    private static RingContext fromEnvironment(final Map<String, String> environment)
    {
        return new RingContext().transport(TransportKind.IPC).sharedSecret(SECRET).applyEnvironment(environment);
    }

    private static void assertInvalid(final RingContext context, final String expected)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, context::conclude);
        assertTrue(ex.getMessage().contains(expected), "expected '" + expected + "' in: " + ex.getMessage());
    }
}
