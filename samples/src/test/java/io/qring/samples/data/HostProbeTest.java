package io.qring.samples.data;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertTrue;

class HostProbeTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    @Test
    void shouldReportAListeningHostAsReachable() throws IOException
    {
        try (ServerSocket server = new ServerSocket(0))
        {
            final URI uri = URI.create("http://127.0.0.1:" + server.getLocalPort() + "/datasets/");

            assertTrue(HostProbe.unreachableReason(uri, TIMEOUT).isEmpty());
        }
    }

    @Test
    void shouldReportAClosedPortAsUnreachable() throws IOException
    {
        final int port;
        try (ServerSocket server = new ServerSocket(0))
        {
            port = server.getLocalPort();
        }

        assertTrue(HostProbe.unreachableReason(URI.create("http://127.0.0.1:" + port + "/"), TIMEOUT).isPresent());
    }

    @Test
    void shouldReportAUriWithoutHostAsUnreachable()
    {
        assertTrue(HostProbe.unreachableReason(URI.create("file:///tmp/x"), TIMEOUT).orElseThrow().contains("no host"));
    }
}
