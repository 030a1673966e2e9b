package io.qring.allreduce.link;

import org.agrona.CloseHelper;

import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * Hook that decorates a rank's two links once they are connected and authenticated, before the ring
 * engine uses them (e.g. the quantum link: superdense coding over an EPR pool, with integrity acks sent
 * back on the reverse direction). The returned links are what the engine uses, what
 * {@code RingAllReduce#linkLedgers()} reports, and what is closed when the ring closes (a decorator
 * must close its delegate; extending {@link DelegatingLink} does that).
 * <p>
 * Wrapping runs on each rank independently and must not wait for the peer (every rank wraps its next
 * link before its previous one, so a blocking exchange here would deadlock the ring): do any exchange
 * with the peer lazily, on first use.
 */
public interface LinkWrapper
{
    /** Leaves both links as they are. */
    LinkWrapper IDENTITY = new LinkWrapper()
    {
        @Override
        public Link wrapNext(final Link link, final int selfRank, final int nextRank)
        {
            return link;
        }

        @Override
        public Link wrapPrevious(final Link link, final int selfRank, final int previousRank)
        {
            return link;
        }
    };

    /**
     * Decorates the link to the next rank, on which this rank sends data (and receives control).
     *
     * @param link     connected, authenticated link.
     * @param selfRank this rank.
     * @param nextRank the rank at the other end.
     * @return the link the engine will use.
     */
    Link wrapNext(Link link, int selfRank, int nextRank);

    /**
     * Decorates the link to the previous rank, on which this rank receives data (and sends control).
     *
     * @param link         connected, authenticated link.
     * @param selfRank     this rank.
     * @param previousRank the rank at the other end.
     * @return the link the engine will use.
     */
    Link wrapPrevious(Link link, int selfRank, int previousRank);

    /**
     * Checks, when a {@link io.qring.allreduce.config.RingContext} is concluded, that this wrapper's
     * settings fit a ring of {@code worldSize} ranks (e.g. that a link they name exists).
     *
     * @param worldSize number of ranks of the ring.
     * @throws IllegalArgumentException naming what does not fit.
     */
    default void checkRing(final int worldSize)
    {
    }

    /**
     * What the two ends of every link must configure alike for this wrapper to work (e.g. a quantum link's
     * seed, noise and pool size: both ends derive the link's EPR pairs from them). When the ring connects,
     * each rank sends these to both neighbours and compares theirs ({@code Ring.connect}); a difference
     * fails the connect, naming every differing setting. Settings each rank may choose for itself
     * (timeouts, pacing) belong elsewhere.
     *
     * @return setting name to its value as text; names hold no {@code '='} and neither holds a line break.
     */
    default Map<String, String> ringSettings()
    {
        return Map.of();
    }

    /**
     * Composes two wrappers: this one decorates the links first, {@code outer} decorates the result
     * (e.g. a quantum link, then pacing to a link-rate model).
     *
     * @param outer the wrapper applied to this one's links.
     * @return the composition.
     */
    default LinkWrapper then(final LinkWrapper outer)
    {
        final LinkWrapper inner = this;
        return new LinkWrapper()
        {
            @Override
            public void checkRing(final int worldSize)
            {
                inner.checkRing(worldSize);
                outer.checkRing(worldSize);
            }

            @Override
            public Map<String, String> ringSettings()
            {
                final Map<String, String> settings = new TreeMap<>(inner.ringSettings());
                settings.putAll(outer.ringSettings());
                return settings;
            }

            @Override
            public Link wrapNext(final Link link, final int selfRank, final int nextRank)
            {
                return wrapOrClose(selfRank, inner.wrapNext(link, selfRank, nextRank),
                    wrapped -> outer.wrapNext(wrapped, selfRank, nextRank));
            }

            @Override
            public Link wrapPrevious(final Link link, final int selfRank, final int previousRank)
            {
                return wrapOrClose(selfRank, inner.wrapPrevious(link, selfRank, previousRank),
                    wrapped -> outer.wrapPrevious(wrapped, selfRank, previousRank));
            }
        };
    }

    /**
     * Applies the outer wrapper; if it throws, tells the peer why the rank fails to connect (closing the
     * link would otherwise leave only a vanished stream) and closes what the inner wrapper made (e.g. a
     * quantum link with its control thread already running), which the caller never sees.
     */
    private static Link wrapOrClose(final int selfRank, final Link wrapped, final UnaryOperator<Link> outer)
    {
        try
        {
            return outer.apply(wrapped);
        }
        catch (final RuntimeException | Error ex)
        {
            try
            {
                wrapped.abort("rank " + selfRank + " failed to connect: " + ex.getMessage());
            }
            catch (final RuntimeException abortFailure)
            {
                ex.addSuppressed(abortFailure);
            }
            CloseHelper.quietClose(wrapped);
            throw ex;
        }
    }
}
