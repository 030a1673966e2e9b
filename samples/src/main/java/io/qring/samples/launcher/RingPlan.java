package io.qring.samples.launcher;

import io.qring.allreduce.config.LinkRateModel;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import io.qring.allreduce.link.LinkWrapper;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The rings a launch runs, one after the other on the same job: their size, transport, link kinds,
 * quantum link configuration, seed, deadlines and the link-rate model the report uses.
 *
 * @param worldSize        number of ranks, at least 2.
 * @param transport        what carries the links (IPC or UDP; UDP for ranks in several processes).
 * @param links            the link kinds to run, in order (e.g. quantum then classical).
 * @param quantum          configuration of the quantum links.
 * @param seed             seed of data order, model initialisation and channel noise.
 * @param connectTimeout   how long ranks may take to find and authenticate their neighbours.
 * @param operationTimeout longest wait for any one message of a collective.
 * @param rateModel        link rates for the modelled online time.
 * @param paced            whether sends are paced to {@code rateModel} ({@link LinkRateModel#pacing()}).
 * @param sharedSettings   what every rank of every ring must agree on besides the links, e.g. the job's
 *                         settings; each ring checks it when it connects ({@link RingContext#sharedSettings(Map)}),
 *                         together with the link kinds of the launch, in order, as {@value #RUNS_SETTING}.
 */
public record RingPlan(int worldSize, TransportKind transport, List<LinkKind> links, QuantumLinkPlan quantum, long seed,
    Duration connectTimeout, Duration operationTimeout, LinkRateModel rateModel, boolean paced, Map<String, String> sharedSettings)
{
    /** Name of the shared setting that lists the link kinds a launch runs, in order. */
    public static final String RUNS_SETTING = "runs";

    /**
     * Validates the plan.
     *
     * @param worldSize        number of ranks, at least 2.
     * @param transport        what carries the links.
     * @param links            the link kinds to run, in order.
     * @param quantum          configuration of the quantum links.
     * @param seed             seed of everything random.
     * @param connectTimeout   how long ranks may take to connect.
     * @param operationTimeout longest wait for one message.
     * @param rateModel        link rates for the modelled online time.
     * @param paced            whether sends are paced to the rates.
     * @param sharedSettings   what every rank must agree on besides the links.
     * @throws IllegalArgumentException naming the first invalid setting.
     */
    public RingPlan
    {
        if (worldSize < 2)
        {
            throw new IllegalArgumentException("a ring needs at least 2 ranks, got " + worldSize);
        }
        links = List.copyOf(links);
        sharedSettings = Map.copyOf(sharedSettings);
        if (links.isEmpty() || links.stream().distinct().count() != links.size())
        {
            throw new IllegalArgumentException("a launch runs each link kind at most once, and at least one: " + links);
        }
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(quantum, "quantum");
        Objects.requireNonNull(rateModel, "rateModel");
        if (connectTimeout.isNegative() || connectTimeout.isZero() || operationTimeout.isNegative() || operationTimeout.isZero())
        {
            throw new IllegalArgumentException("timeouts must be positive: connect " + connectTimeout + ", operation " +
                operationTimeout);
        }
    }

    /**
     * Settings shared by every rank of one run inside this JVM ({@code LocalRing.start}): rank, peers and
     * secret are filled in by the local ring.
     *
     * @param kind    link kind of the run.
     * @param qberLog receives the verification rounds of quantum links.
     * @return the template.
     */
    public RingContext template(final LinkKind kind, final QberLog qberLog)
    {
        final LinkWrapper links = LinkKind.QUANTUM == kind ? quantum.settings(seed, qberLog.listener()).wrapper() :
            LinkWrapper.IDENTITY;
        return baseContext().linkWrapper(paced ? links.then(rateModel.pacing()) : links);
    }

    /**
     * Settings of one rank of one run whose ranks live in different processes (UDP). Every run of a
     * launch gets its own ring id and stream ids, so a late frame of one run is never taken for the next.
     *
     * @param kind     link kind of the run.
     * @param runIndex index of the run in {@link #links()}.
     * @param rank     this rank.
     * @param peers    every rank's endpoint in rank order (this rank binds its own entry).
     * @param secret   the shared secret of the ring's members.
     * @param qberLog  receives the verification rounds of quantum links.
     * @return the rank's context (not yet concluded).
     */
    public RingContext rankContext(
        final LinkKind kind, final int runIndex, final int rank, final List<String> peers, final byte[] secret, final QberLog qberLog)
    {
        return acrossProcesses(template(kind, qberLog), runIndex, rank, peers, secret);
    }

    /**
     * Settings of one rank of the ring that carries a run's results to rank 0 once the run's own ring has
     * closed, when the ranks live in different processes and share nothing else: plain links, never paced,
     * on the same endpoints, with ring and stream ids after every run's (as if it were run
     * {@code links().size() + runIndex}), so no late frame of a run is taken for it. Connecting may also
     * take an operation timeout, the longest the ranks waited for each other within the run, since the
     * ring forms only once the slowest rank finished its job (e.g. rank 0's last evaluation).
     *
     * @param runIndex index of the run in {@link #links()} whose results the ring carries.
     * @param rank     this rank.
     * @param peers    every rank's endpoint in rank order (this rank binds its own entry).
     * @param secret   the shared secret of the ring's members.
     * @return the rank's context (not yet concluded).
     */
    public RingContext resultsContext(final int runIndex, final int rank, final List<String> peers, final byte[] secret)
    {
        return acrossProcesses(baseContext(), links.size() + runIndex, rank, peers, secret)
            .connectTimeoutNs(connectTimeout.toNanos() + operationTimeout.toNanos());
    }

    private RingContext baseContext()
    {
        final Map<String, String> agreed = new TreeMap<>(sharedSettings);
        agreed.put(RUNS_SETTING, links.stream().map(LinkKind::label).collect(Collectors.joining(", ")));
        return new RingContext()
            .sharedSettings(agreed)
            .worldSize(worldSize)
            .transport(transport)
            .connectTimeoutNs(connectTimeout.toNanos())
            .operationTimeoutNs(operationTimeout.toNanos());
    }

    private RingContext acrossProcesses(
        final RingContext context, final int ringIndex, final int rank, final List<String> peers, final byte[] secret)
    {
        return context
            .transport(TransportKind.UDP)
            .rank(rank)
            .peers(peers)
            .sharedSecret(secret)
            .ringId(RingContext.DEFAULT_RING_ID + ringIndex)
            .streamIdBase(RingContext.DEFAULT_STREAM_ID_BASE + 2 * worldSize * ringIndex);
    }
}
