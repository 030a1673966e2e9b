package io.qring.channel.epr;

/**
 * A pool could not hand out the pairs requested under its {@link ExhaustionPolicy}. A pair is never
 * reused, so running dry is always this explicit condition.
 */
public final class EprPoolExhaustedException extends IllegalStateException
{
    private final String link;
    private final long requested;
    private final long available;
    private final ExhaustionPolicy policy;

    /**
     * @param link      name of the pool's directed link.
     * @param requested pairs asked for.
     * @param available pairs the pool held when it gave up.
     * @param policy    the exhaustion policy in force.
     * @param detail    what happened, e.g. how long it waited.
     */
    public EprPoolExhaustedException(
        final String link, final long requested, final long available, final ExhaustionPolicy policy, final String detail)
    {
        super("EPR pool of link '" + link + "' exhausted: requested " + requested + " pairs, " + available +
            " available (policy " + policy + "): " + detail);
        this.link = link;
        this.requested = requested;
        this.available = available;
        this.policy = policy;
    }

    /** @return name of the pool's directed link. */
    public String link()
    {
        return link;
    }

    /** @return pairs asked for. */
    public long requested()
    {
        return requested;
    }

    /** @return pairs the pool held when it gave up. */
    public long available()
    {
        return available;
    }

    /** @return the exhaustion policy in force. */
    public ExhaustionPolicy policy()
    {
        return policy;
    }
}
