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
 * Makes sure a rank's neighbours run with its {@link RingContext#ringSettings() ring settings}, once the
 * links are authenticated and before the link wrapper takes them over. The settings travel as UTF-8 text,
 * one {@code name=value} line per setting in name order. On each link both ends first send an 8-byte
 * little-endian header (the text's length and the largest message the sender's link carries); each then
 * cuts its text into pieces of the smaller of the two ends' largest messages, so both know how many pieces
 * each way. Then, in rounds, each rank sends its next piece to both neighbours and receives the piece each
 * neighbour sent in that round. A rank waits in a round only for what its neighbours send at the start of
 * the same round, so the least advanced rank never waits and the ring cannot deadlock however small the
 * messages: while both texts of a link have pieces left, no direction of it holds more than two unread
 * messages; past the end of the shorter one, the rank with the longer text sends ahead, its sends waiting
 * out back-pressure while its neighbour reads on. Like the handshake, the settings count in
 * the links' ledgers as online classical bits, not as payload ({@link AuthenticatedLink#sendSetup}), so
 * payload counts stay those of the collectives.
 */
final class RingSettingsExchange
{
    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    private static final int HEADER_LENGTH = 2 * Integer.BYTES;

    private RingSettingsExchange()
    {
    }

    /**
     * Sends this rank's settings to both neighbours and checks theirs.
     *
     * @param transport     the rank's authenticated links, not yet wrapped.
     * @param settings      this rank's ring settings, at most {@link RingContext#MAX_RING_SETTINGS_BYTES} as text.
     * @param deadlineNanos {@link System#nanoTime()} by which both neighbours' settings must have arrived.
     * @throws RingSettingsMismatchException if a neighbour's settings differ; both links are aborted with
     *                                       its message first.
     * @throws LinkException                 if a neighbour fails or does not send its settings in time.
     * @throws IllegalStateException         if a neighbour sends something that is not a settings text.
     */
    static void agree(final AuthenticatedRingTransport transport, final SortedMap<String, String> settings, final long deadlineNanos)
    {
        final byte[] text = RingContext.ringSettingsText(settings);
        final int rank = transport.rank();
        final LinkExchange next = new LinkExchange(rank, transport.next(), text, deadlineNanos);
        final LinkExchange previous = new LinkExchange(rank, transport.previous(), text, deadlineNanos);
        next.sendHeader();
        previous.sendHeader();
        previous.receiveHeader();
        next.receiveHeader();
        for (int round = 0, rounds = Math.max(next.rounds(), previous.rounds()); round < rounds; round++)
        {
            next.sendPiece(round);
            previous.sendPiece(round);
            previous.receivePiece(round);
            next.receivePiece(round);
        }
        final Set<String> mismatches = new LinkedHashSet<>();
        for (final LinkExchange exchange : List.of(previous, next))
        {
            final String difference = exchange.compare(settings);
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
     * @param text what {@link RingContext#ringSettingsText} made.
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

    /** One link's half of the exchange: this rank's text going out, the neighbour's coming in. */
    private static final class LinkExchange
    {
        private final int rank;
        private final AuthenticatedLink link;
        private final byte[] text;
        private final long deadlineNanos;
        private final UnsafeBuffer outgoing;
        private byte[] received;
        private int receivedLength;
        private int pieceLength;

        LinkExchange(final int rank, final AuthenticatedLink link, final byte[] text, final long deadlineNanos)
        {
            this.rank = rank;
            this.link = link;
            this.text = text;
            this.deadlineNanos = deadlineNanos;
            this.outgoing = new UnsafeBuffer(text);
        }

        void sendHeader()
        {
            final UnsafeBuffer header = new UnsafeBuffer(new byte[HEADER_LENGTH]);
            header.putInt(0, text.length, ORDER);
            header.putInt(Integer.BYTES, link.maxMessageLength(), ORDER);
            link.sendSetup(header, 0, HEADER_LENGTH, deadlineNanos);
        }

        void receiveHeader()
        {
            link.receive(this::onHeader, deadlineNanos);
        }

        /** @return rounds this link needs: the larger of the two directions' piece counts. */
        int rounds()
        {
            return Math.max(pieces(text.length), pieces(received.length));
        }

        void sendPiece(final int round)
        {
            final int offset = round * pieceLength;
            if (round < pieces(text.length))
            {
                link.sendSetup(outgoing, offset, Math.min(pieceLength, text.length - offset), deadlineNanos);
            }
        }

        void receivePiece(final int round)
        {
            if (round < pieces(received.length))
            {
                link.receive(this::onPiece, deadlineNanos);
            }
        }

        private int pieces(final int length)
        {
            return (length + pieceLength - 1) / pieceLength;
        }

        private void onHeader(final DirectBuffer buffer, final int offset, final int length)
        {
            final int textLength = HEADER_LENGTH == length ? buffer.getInt(offset, ORDER) : -1;
            final int peerLargest = HEADER_LENGTH == length ? buffer.getInt(offset + Integer.BYTES, ORDER) : -1;
            if (textLength < 0 || textLength > RingContext.MAX_RING_SETTINGS_BYTES || peerLargest < 1)
            {
                throw new IllegalStateException("rank " + rank + " expected the header of the ring settings of " +
                    link.peerName() + ", got a " + length + "-byte message" + (HEADER_LENGTH == length ? " announcing " +
                    textLength + " bytes in messages of up to " + peerLargest : "") + " (does every rank run the same qring version?)");
            }
            received = new byte[textLength];
            receivedLength = 0;
            pieceLength = Math.min(link.maxMessageLength(), peerLargest);
        }

        private void onPiece(final DirectBuffer buffer, final int offset, final int length)
        {
            final int expected = Math.min(pieceLength, received.length - receivedLength);
            if (length != expected)
            {
                throw new IllegalStateException("rank " + rank + ": " + link.peerName() + " sent a " + length + "-byte piece " +
                    "of its ring settings where " + expected + " bytes were due");
            }
            buffer.getBytes(offset, received, receivedLength, length);
            receivedLength += length;
        }

        /**
         * @return what differs, naming both ranks: settings both set, with both values, then the names of those
         *         only one of them sets; or {@code null} if the settings are equal.
         */
        String compare(final SortedMap<String, String> own)
        {
            final String peerText = new String(received, StandardCharsets.UTF_8);
            final SortedMap<String, String> theirs = decode(peerText);
            if (null == theirs)
            {
                throw new IllegalStateException("rank " + rank + ": " + link.peerName() + " sent ring settings that are not " +
                    "name=value lines: " + peerText);
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
}
