package io.qring.samples.data;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Checks, within a hard deadline, whether a download host accepts TCP connections, before handing
 * the download to a library whose own timeouts are long. Name resolution runs under the same
 * deadline (it has no timeout of its own), on a daemon thread that is abandoned if it overruns.
 */
final class HostProbe
{
    private static final int HTTPS_PORT = 443;
    private static final int HTTP_PORT = 80;

    private HostProbe()
    {
    }

    /**
     * @param uri     address of the resource; its host and port (default for the scheme) are probed.
     * @param timeout deadline for name resolution plus connect.
     * @return empty when reachable, else why not.
     */
    static Optional<String> unreachableReason(final URI uri, final Duration timeout)
    {
        final String host = uri.getHost();
        if (host == null)
        {
            return Optional.of("no host in " + uri);
        }
        final int port = uri.getPort() != -1 ? uri.getPort() : "http".equalsIgnoreCase(uri.getScheme()) ? HTTP_PORT : HTTPS_PORT;
        final CompletableFuture<String> probe = new CompletableFuture<>();
        final Thread thread = new Thread(() -> probe.complete(connect(host, port, timeout)), "qring-host-probe");
        thread.setDaemon(true);
        thread.start();
        try
        {
            return Optional.ofNullable(probe.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        }
        catch (final TimeoutException ex)
        {
            thread.interrupt();
            return Optional.of(host + ":" + port + " did not answer within " + timeout.toMillis() + " ms");
        }
        catch (final ExecutionException ex)
        {
            return Optional.of(host + ":" + port + ": " + ex.getCause());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while probing " + host);
        }
    }

    private static String connect(final String host, final int port, final Duration timeout)
    {
        try (Socket socket = new Socket())
        {
            socket.connect(new InetSocketAddress(InetAddress.getByName(host), port), (int)timeout.toMillis());
            return null;
        }
        catch (final IOException | RuntimeException ex)
        {
            return host + ":" + port + " unreachable (" + ex + ")";
        }
    }
}
