package io.qring.allreduce;

import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.link.AuthenticatedLink;
import io.qring.allreduce.link.AuthenticatedRingTransport;
import io.qring.allreduce.link.LinkException;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Makes sure a rank's neighbours run with its {@link io.qring.allreduce.config.RingContext#ringSettings()
 * ring settings}, once the links are authenticated and before the link wrapper takes them over. Each rank
 * sends its settings to both neighbours, then reads theirs: first a 4-byte little-endian length, then that
 * many bytes of UTF-8 text, one {@code name=value} line per setting in name order, cut into messages the
 * link carries. Sends are asynchronous, so no rank waits for another before it has sent (no deadlock around
 * the ring). Like the handshake, the settings count in the links' ledgers as online classical bits, not as
 * payload ({@link AuthenticatedLink#sendSetup}), so payload counts stay those of the collectives.
 */
final class RingSettingsExchange
{
    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private final int rank;
    private final long deadlineNanos;
    private byte[] received;
    private int receivedLength;

    private RingSettingsExchange(final int rank, final long deadlineNanos)
    {
        this.rank = rank;
        this.deadlineNanos = deadlineNanos;
    }

    /**
     * Sends this rank's settings to both neighbours and checks theirs.
     *
     * @param transport     the rank's authenticated links, not yet wrapped.
     * @param settings      this rank's ring settings, at most {@link RingContext#MAX_RING_SETTINGS_BYTES} as text.
     * @param deadlineNanos {@link System#nanoTime()} by which both neighbours' settings must have arrived.
     * @throws RingSettingsMismatchException if a neighbour's settings differ; both links are aborted with
     *                                       its message first, so the other ranks learn why.
     * @throws LinkException                 if a neighbour fails or does not send its settings in time.
     * @throws IllegalStateException         if a neighbour sends something that is not a settings text.
     */
    static void agree(final AuthenticatedRingTransport transport, final SortedMap<String, String> settings, final long deadlineNanos)
    {
        final byte[] text = encode(settings);
        final RingSettingsExchange exchange = new RingSettingsExchange(transport.rank(), deadlineNanos);
        exchange.send(transport.next(), text);
        exchange.send(transport.previous(), text);
        final Set<String> mismatches = new LinkedHashSet<>();
        for (final AuthenticatedLink link : List.of(transport.previous(), transport.next()))
        {
            final String difference = exchange.compare(settings, exchange.receive(link), link);
            if (null != difference)
            {
                mismatches.add(difference);
            }
        }
        if (!mismatches.isEmpty())
        {
            final String message = String.join("; and ", mismatches) + " (start every rank with the same settings)";
            transport.next().abort(message);
            transport.previous().abort(message);
            throw new RingSettingsMismatchException(message);
        }
    }

    /**
     * @param settings name to value.
     * @return the UTF-8 text, one {@code name=value} line per setting in name order.
     */
    static byte[] encode(final SortedMap<String, String> settings)
    {
        final StringBuilder text = new StringBuilder();
        settings.forEach((name, value) -> text.append(name).append('=').append(value).append('\n'));
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @param text what {@link #encode} made.
     * @return the settings, or {@code null} if {@code text} is not made of {@code name=value} lines.
     */
    static SortedMap<String, String> decode(final String text)
    {
        final SortedMap<String, String> settings = new TreeMap<>();
        if (text.isEmpty())
        {
            return settings;
        }
        if (!text.endsWith("\n"))
        {
            return null;
        }
        for (final String line : text.substring(0, text.length() - 1).split("\n", -1))
        {
            final int equals = line.indexOf('=');
            if (equals <= 0 || null != settings.put(line.substring(0, equals), line.substring(equals + 1)))
            {
                return null;
            }
        }
        return settings;
    }

    private void send(final AuthenticatedLink link, final byte[] text)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(text);
        final UnsafeBuffer length = new UnsafeBuffer(new byte[Integer.BYTES]);
        length.putInt(0, text.length, ORDER);
        link.sendSetup(length, 0, Integer.BYTES, deadlineNanos);
        final int largest = link.maxMessageLength();
        for (int offset = 0; offset < text.length; offset += largest)
        {
            link.sendSetup(buffer, offset, Math.min(largest, text.length - offset), deadlineNanos);
        }
    }

    private String receive(final AuthenticatedLink link)
    {
        received = null;
        link.receive(this::onLength, deadlineNanos);
        while (receivedLength < received.length)
        {
            link.receive((buffer, offset, length) -> onText(buffer, offset, length, link), deadlineNanos);
        }
        return new String(received, StandardCharsets.UTF_8);
    }

    private void onLength(final DirectBuffer buffer, final int offset, final int length)
    {
        final int textLength = Integer.BYTES == length ? buffer.getInt(offset, ORDER) : -1;
        if (textLength < 0 || textLength > RingContext.MAX_RING_SETTINGS_BYTES)
        {
            throw new IllegalStateException("rank " + rank + " expected the length of its neighbour's ring settings, got a " +
                length + "-byte message" + (Integer.BYTES == length ? " announcing " + textLength + " bytes" : "") +
                " (does every rank run the same qring version?)");
        }
        received = new byte[textLength];
        receivedLength = 0;
    }

    private void onText(final DirectBuffer buffer, final int offset, final int length, final AuthenticatedLink link)
    {
        if (length > received.length - receivedLength)
        {
            throw new IllegalStateException("rank " + rank + ": " + link.peerName() + " sent " + length + " bytes of ring " +
                "settings where " + (received.length - receivedLength) + " were left");
        }
        buffer.getBytes(offset, received, receivedLength, length);
        receivedLength += length;
    }

    /**
     * @return what differs, naming both ranks: settings both set, with both values, then the names of those
     *         only one of them sets; or {@code null} if the settings are equal.
     */
    private String compare(final SortedMap<String, String> own, final String text, final AuthenticatedLink link)
    {
        final SortedMap<String, String> theirs = decode(text);
        if (null == theirs)
        {
            throw new IllegalStateException("rank " + rank + ": " + link.peerName() + " sent ring settings that are not " +
                "name=value lines: " + text);
        }
        if (own.equals(theirs))
        {
            return null;
        }
        final List<String> differentValues = new ArrayList<>();
        final List<String> onlyOwn = new ArrayList<>();
        final List<String> onlyTheirs = new ArrayList<>();
        final TreeSet<String> names = new TreeSet<>(own.keySet());
        names.addAll(theirs.keySet());
        for (final String name : names)
        {
            final String here = own.get(name);
            final String there = theirs.get(name);
            if (null == there)
            {
                onlyOwn.add(name);
            }
            else if (null == here)
            {
                onlyTheirs.add(name);
            }
            else if (!here.equals(there))
            {
                differentValues.add(name + " = " + here + " / " + there);
            }
        }
        final List<String> parts = new ArrayList<>();
        if (!differentValues.isEmpty())
        {
            parts.add(String.join(", ", differentValues));
        }
        if (!onlyOwn.isEmpty())
        {
            parts.add("only rank " + rank + " sets " + String.join(", ", onlyOwn));
        }
        if (!onlyTheirs.isEmpty())
        {
            parts.add("only rank " + link.peerRank() + " sets " + String.join(", ", onlyTheirs));
        }
        return "rank " + rank + " and " + link.peerName() + " run with different ring settings, as rank " + rank + " / rank " +
            link.peerRank() + ": " + String.join("; ", parts);
    }
}
