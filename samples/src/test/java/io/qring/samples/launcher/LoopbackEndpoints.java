package io.qring.samples.launcher;

import java.io.IOException;
import java.net.DatagramSocket;
import java.util.ArrayList;
import java.util.List;

/** Loopback UDP endpoints for tests whose ranks need explicit ports (ranks across hosts, CLI checks). */
public final class LoopbackEndpoints
{
    private LoopbackEndpoints()
    {
    }

    /**
     * @param count how many endpoints.
     * @return {@code count} loopback endpoints on distinct UDP ports that were free: every port's socket
     *         stays open until all are chosen, so the system cannot hand out one port twice.
     * @throws IOException if no free port can be bound.
     */
    public static List<String> free(final int count) throws IOException
    {
        final List<DatagramSocket> sockets = new ArrayList<>();
        try
        {
            final List<String> endpoints = new ArrayList<>();
            for (int i = 0; i < count; i++)
            {
                final DatagramSocket socket = new DatagramSocket(0);
                sockets.add(socket);
                endpoints.add("127.0.0.1:" + socket.getLocalPort());
            }
            return List.copyOf(endpoints);
        }
        finally
        {
            for (final DatagramSocket socket : sockets)
            {
                socket.close();
            }
        }
    }
}
