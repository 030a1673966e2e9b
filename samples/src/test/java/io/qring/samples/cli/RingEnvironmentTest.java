package io.qring.samples.cli;

import io.qring.allreduce.config.RingContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code QRING_*} variables as the command line reads them: each option wins over its variable, a variable
 * is checked as its option is, and one the command cannot honour is refused; peer lists and secrets that
 * could only fail later are refused before anything runs. Runs that pass every check here are stopped by an
 * unwritable report directory, checked right after the placement, so nothing connects.
 */
class RingEnvironmentTest
{
    private static final String SECRET = "a-test-secret-of-enough-length";
    private static final String PEERS = "127.0.0.1:40180,127.0.0.1:40181";

    @TempDir
    Path directory;

    @Test
    void shouldRefuseAPeerWithPortZeroNamingIt()
    {
        assertUsageError(run(Map.of(RingContext.SECRET_ENV, SECRET), "--rank", "1", "--peers", "127.0.0.1:0,127.0.0.1:40181"),
            "--peers: 127.0.0.1:0 has port 0, which would bind any free port the other hosts cannot know; " +
            "give every rank an explicit port");
        assertUsageError(run(Map.of(RingContext.SECRET_ENV, SECRET, RingContext.RANK_ENV, "0",
            RingContext.PEERS_ENV, "127.0.0.1:40180,127.0.0.1:0")), "QRING_PEERS: 127.0.0.1:0 has port 0");
    }

    @Test
    void shouldRefuseASecretShorterThanTheLibraryTakesNamingItsLength()
    {
        assertUsageError(run(Map.of(RingContext.SECRET_ENV, "short"), "--rank", "0", "--peers", PEERS),
            "QRING_SECRET holds 5 bytes, too short for the ring's shared secret (at least 16 bytes: text, or hex: and at least " +
            "32 hex digits); export a longer one with the same value on every host");
        assertUsageError(run(Map.of(RingContext.SECRET_ENV, "hex:00112233445566778899aabbccddee"), "--rank", "0", "--peers", PEERS),
            "QRING_SECRET holds 15 bytes");
        assertUsageError(run(Map.of(RingContext.SECRET_ENV, "hex:0g"), "--rank", "0", "--peers", PEERS),
            "QRING_SECRET starts with hex: but is not hexadecimal");
        assertPlaced(run(Map.of(RingContext.SECRET_ENV, "sixteen bytes!!!"), "--rank", "0", "--peers", PEERS));
        assertPlaced(run(Map.of(RingContext.SECRET_ENV, "hex:00112233445566778899aabbccddeeff"), "--rank", "0", "--peers", PEERS));
    }

    @Test
    void shouldLetOptionsWinOverMalformedVariables()
    {
        final Map<String, String> malformed = Map.of(RingContext.SECRET_ENV, SECRET, RingContext.WORLD_SIZE_ENV, "lots",
            RingContext.RANK_ENV, "two", RingContext.PEERS_ENV, "nowhere", RingContext.TRANSPORT_ENV, "carrier-pigeon");

        assertPlaced(run(malformed, "--rank", "0", "--peers", PEERS, "--ranks", "2", "--transport", "udp"));
        assertPlaced(run(Map.of(RingContext.WORLD_SIZE_ENV, "lots", RingContext.TRANSPORT_ENV, "carrier-pigeon"),
            "--ranks", "2", "--transport", "ipc"));
        assertUsageError(run(malformed, "--rank", "0", "--peers", PEERS, "--transport", "udp"),
            "QRING_WORLD_SIZE=lots is not an integer");
        assertUsageError(run(malformed, "--rank", "0", "--peers", PEERS, "--ranks", "2"),
            "QRING_TRANSPORT=carrier-pigeon is not one of ipc, udp, in_memory");
    }

    @Test
    void shouldRefuseAWorldSizeThatDisagreesWithThePeers()
    {
        assertUsageError(run(Map.of(RingContext.SECRET_ENV, SECRET, RingContext.WORLD_SIZE_ENV, "3"), "--rank", "0", "--peers", PEERS),
            "QRING_WORLD_SIZE=3 does not match the 2 endpoints of --peers");
        assertUsageError(run(Map.of(RingContext.SECRET_ENV, SECRET, RingContext.WORLD_SIZE_ENV, "3", RingContext.RANK_ENV, "0",
            RingContext.PEERS_ENV, PEERS)), "QRING_WORLD_SIZE=3 does not match the 2 endpoints of QRING_PEERS");
        assertPlaced(run(Map.of(RingContext.SECRET_ENV, SECRET, RingContext.WORLD_SIZE_ENV, " 2"), "--rank", "0", "--peers", PEERS));
        assertUsageError(run(Map.of(RingContext.WORLD_SIZE_ENV, "1")), "QRING_WORLD_SIZE must be at least 2 (a ring needs two ranks), got 1");
    }

    @Test
    void shouldRefuseATransportVariableTheLaunchCannotUse()
    {
        assertUsageError(run(Map.of(RingContext.SECRET_ENV, SECRET, RingContext.TRANSPORT_ENV, "ipc"), "--rank", "0", "--peers", PEERS),
            "a ring across hosts talks UDP; QRING_TRANSPORT=ipc asks for another transport: unset it or set it to udp");
        assertUsageError(run(Map.of(RingContext.SECRET_ENV, SECRET), "--rank", "0", "--peers", PEERS, "--transport", "ipc"),
            "a ring across hosts talks UDP; drop --transport ipc");
        assertUsageError(run(Map.of(RingContext.TRANSPORT_ENV, "in_memory"), "--launch", "processes"),
            "--launch processes talks UDP between the rank JVMs; QRING_TRANSPORT=in_memory only works with --launch threads");
        assertPlaced(run(Map.of(RingContext.SECRET_ENV, SECRET, RingContext.TRANSPORT_ENV, "ipc"), "--rank", "0", "--peers", PEERS,
            "--transport", "udp"));
    }

    @Test
    void shouldRefuseAnExternalMediaDriverDirectoryItWouldIgnore()
    {
        final String expected = "QRING_AERON_DIR=/dev/shm/external names an external media driver, which qring does not use " +
            "(every JVM it starts runs its own embedded driver); unset QRING_AERON_DIR";
        assertUsageError(run(Map.of(RingContext.AERON_DIR_ENV, "/dev/shm/external")), expected);
        assertUsageError(run(Map.of(RingContext.AERON_DIR_ENV, "/dev/shm/external", RingContext.SECRET_ENV, SECRET),
            "--rank", "0", "--peers", PEERS), expected);
        assertPlaced(run(Map.of(RingContext.AERON_DIR_ENV, " ")));
    }

    @Test
    void shouldRefusePeersWithoutARankFromEitherSource()
    {
        assertUsageError(run(Map.of(RingContext.PEERS_ENV, PEERS)),
            "QRING_PEERS runs one rank of a ring across hosts and needs --rank (or QRING_RANK)");
        assertUsageError(run(Map.of(), "--peers", PEERS), "--peers runs one rank of a ring across hosts and needs --rank");
    }

    /** Without their options, the world size and transport variables set the ring of threads, and of child JVMs. */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldRunTheRingTheVariablesDescribe()
    {
        final CliRun threads = CliRun.run(Map.of(RingContext.WORLD_SIZE_ENV, "3", RingContext.TRANSPORT_ENV, "udp"), "allreduce",
            "--elements", "10", "--iterations", "1", "--link", "classical", "--report", directory.resolve("threads").toString());

        assertEquals(0, threads.status(), threads::describe);
        assertTrue(threads.out().contains("3 ranks as threads of this JVM, Aeron UDP"), threads::describe);

        final CliRun processes = CliRun.run(Map.of(RingContext.WORLD_SIZE_ENV, "3"), "allreduce", "--launch", "processes",
            "--elements", "10", "--iterations", "1", "--link", "classical", "--report", directory.resolve("processes").toString());

        assertEquals(0, processes.status(), processes::describe);
        assertTrue(processes.out().contains("3 ranks as child JVMs of this host, Aeron UDP over loopback"), processes::describe);
    }

    /** @return the run of {@code allreduce} with {@code args}, its report directory unwritable. */
    private CliRun run(final Map<String, String> environment, final String... args)
    {
        final Path file;
        try
        {
            file = Files.writeString(directory.resolve("not-a-directory"), "x");
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        final List<String> command = new ArrayList<>(List.of("allreduce", "--elements", "10"));
        command.addAll(List.of(args));
        command.addAll(List.of("--report", file.resolve("report").toString()));
        return CliRun.run(environment, command.toArray(String[]::new));
    }

    /** The options and variables were accepted: the run stopped at the report directory, checked next. */
    private static void assertPlaced(final CliRun run)
    {
        assertUsageError(run, "is not a writable directory");
    }

    private static void assertUsageError(final CliRun run, final String expected)
    {
        assertEquals(2, run.status(), run::describe);
        assertTrue(run.err().contains(expected), () -> "expected '" + expected + "' in: " + run.describe());
        assertFalse(run.out().contains("all-reduces of"), () -> "nothing ran: " + run.describe());
    }
}
