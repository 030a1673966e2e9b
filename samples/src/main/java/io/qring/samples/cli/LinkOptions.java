package io.qring.samples.cli;

import io.qring.allreduce.config.LinkRateModel;
import io.qring.allreduce.quantum.AlarmPolicy;
import io.qring.allreduce.quantum.QuantumLinkSettings;
import io.qring.channel.verify.VerificationSettings;
import io.qring.samples.launcher.EavesdroppedLink;
import io.qring.samples.launcher.LinkKind;
import io.qring.samples.launcher.QuantumLinkPlan;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ParameterException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** Options of the links: which kinds run, the quantum links' noise, pools and verification, and the link-rate model. */
public final class LinkOptions
{
    /** Default classical link rate of the modelled online time: 1 Gbit/s. */
    public static final String DEFAULT_CLASSICAL_RATE = "1e9";
    /** Default qubit rate: one qubit per classical bit time, so the model shows the factor of superdense coding alone. */
    public static final String DEFAULT_QUBIT_RATE = "1e9";
    /** Default one-way latency of a hop: 100 µs, a LAN. */
    public static final String DEFAULT_LATENCY = "1e-4";
    /** Options that configure the quantum links only, refused with {@code --link classical}, which runs none. */
    public static final List<String> QUANTUM_ONLY_OPTIONS = List.of("--noise", "--pair-noise", "--t1", "--t2", "--pool-pairs",
        "--verification-fraction", "--qber-threshold", "--eavesdrop", "--alarm-policy");

    @Option(names = "--link", paramLabel = "KIND", defaultValue = "both",
        description = "quantum, classical, or both: the same job on the quantum ring, then on the classical ring, " +
            "same data and seed (default: ${DEFAULT-VALUE}).")
    private LinkChoice link;

    @Option(names = "--noise", paramLabel = "MODEL", defaultValue = "none", converter = NoiseSpec.Converter.class,
        description = "Noise on the encoded half in flight (online): " + NoiseSpec.FORMS + " (default: ${DEFAULT-VALUE}).")
    private NoiseSpec noise;

    @Option(names = "--pair-noise", paramLabel = "MODEL", defaultValue = "none", converter = NoiseSpec.Converter.class,
        description = "Noise on the EPR pairs while distributed (what verification measures), same forms, " +
            "e.g. werner:0.99 (default: ${DEFAULT-VALUE}).")
    private NoiseSpec pairNoise;

    @Option(names = "--t1", paramLabel = "SECONDS", defaultValue = "0",
        description = "Memory relaxation time T1 of stored pairs; 0 for none (default). Needs --t2.")
    private double t1;

    @Option(names = "--t2", paramLabel = "SECONDS", defaultValue = "0",
        description = "Memory coherence time T2 of stored pairs, at most 2·T1; 0 for none (default). Needs --t1.")
    private double t2;

    @Option(names = "--pool-pairs", paramLabel = "N", defaultValue = "" + QuantumLinkSettings.DEFAULT_POOL_CAPACITY_PAIRS,
        description = "EPR pairs a link's pool tops up to in one distribution (default: ${DEFAULT-VALUE}).")
    private long poolPairs;

    @Option(names = "--verification-fraction", paramLabel = "F", defaultValue = "" + QuantumLinkSettings.DEFAULT_VERIFICATION_FRACTION,
        description = "Fraction of each distributed batch sacrificed to estimate the QBER, in [0, 0.9] (default: ${DEFAULT-VALUE}).")
    private double verificationFraction;

    @Option(names = "--qber-threshold", paramLabel = "Q", defaultValue = "" + VerificationSettings.DEFAULT_QBER_THRESHOLD,
        description = "QBER above which verification raises an alarm (default: ${DEFAULT-VALUE}).")
    private double qberThreshold;

    @Option(names = "--eavesdrop", paramLabel = "FROM->TO[:F]", converter = EavesdropConverter.class,
        description = "An intercept-resend eavesdropper on the pairs of one ring link, e.g. '1->2' (quoted: a shell reads > as a " +
            "redirection): it measures a fraction F " +
            "(default 1, every pair) of them in Z while they are distributed, a QBER of F/4 that verification must catch. " +
            "Repeat for more links.")
    private List<EavesdroppedLink> eavesdroppedLinks = new ArrayList<>();

    @Option(names = "--alarm-policy", paramLabel = "POLICY", defaultValue = "abort",
        description = "On a verification alarm: abort (the run fails) or fallback (the link carries on classically) " +
            "(default: ${DEFAULT-VALUE}).")
    private AlarmChoice alarmPolicy;

    @Option(names = "--classical-rate", paramLabel = "BIT/S", defaultValue = DEFAULT_CLASSICAL_RATE,
        description = "Classical link rate of the modelled online time (default: ${DEFAULT-VALUE}).")
    private double classicalRate;

    @Option(names = "--qubit-rate", paramLabel = "QUBIT/S", defaultValue = DEFAULT_QUBIT_RATE,
        description = "Quantum link rate of the modelled online time (default: ${DEFAULT-VALUE}).")
    private double qubitRate;

    @Option(names = "--latency", paramLabel = "SECONDS", defaultValue = DEFAULT_LATENCY,
        description = "One-way latency of a hop in the modelled online time (default: ${DEFAULT-VALUE}).")
    private double latency;

    @Option(names = "--pace",
        description = "Run the rings at the modelled rates: each rank's sends wait until its link, at --classical-rate " +
            "and --qubit-rate, has carried what was sent before (the latency stays modelled only).")
    private boolean pace;

    /** @return the link kinds to run, in order. */
    public List<LinkKind> links()
    {
        return switch (link)
        {
            case QUANTUM -> List.of(LinkKind.QUANTUM);
            case CLASSICAL -> List.of(LinkKind.CLASSICAL);
            case BOTH -> List.of(LinkKind.QUANTUM, LinkKind.CLASSICAL);
        };
    }

    /**
     * @param spec      the command, for error messages.
     * @param worldSize ranks in the ring, whose links an eavesdropper may attack.
     * @return the quantum link configuration, checked once by building the library settings.
     * @throws ParameterException with the library's one-line reason when a setting is out of range, or naming the
     *                            quantum link options given with {@code --link classical}.
     */
    public QuantumLinkPlan quantumPlan(final CommandSpec spec, final int worldSize)
    {
        if (LinkChoice.CLASSICAL == link)
        {
            final ParseResult parsed = spec.commandLine().getParseResult();
            final List<String> given = QUANTUM_ONLY_OPTIONS.stream().filter(parsed::hasMatchedOption).toList();
            if (!given.isEmpty())
            {
                throw new ParameterException(spec.commandLine(), String.join(", ", given) + " set" + (given.size() == 1 ? "s" : "") +
                    " the quantum links, and --link classical runs none: drop " + (given.size() == 1 ? "it" : "them") +
                    " or use --link quantum or both");
            }
        }
        if ((t1 == 0) != (t2 == 0))
        {
            throw new ParameterException(spec.commandLine(), "--t1 and --t2 go together: give both (T2 ≤ 2·T1) or neither");
        }
        try
        {
            final QuantumLinkPlan plan = new QuantumLinkPlan(noise.channel(), pairNoise.channel(), t1, t2, poolPairs,
                verificationFraction, new VerificationSettings(qberThreshold, VerificationSettings.DEFAULT_DELTA),
                AlarmChoice.ABORT == alarmPolicy ? AlarmPolicy.ABORT : AlarmPolicy.FALLBACK_CLASSICAL, eavesdroppedLinks);
            plan.settings(0, (linkName, result) -> { }).wrapper().checkRing(worldSize);
            return plan;
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(), "quantum link settings: " + ex.getMessage());
        }
    }

    /**
     * @param spec the command, for error messages.
     * @return the link-rate model of the modelled online time.
     * @throws ParameterException if a rate is not positive or the latency negative.
     */
    public LinkRateModel rateModel(final CommandSpec spec)
    {
        try
        {
            return new LinkRateModel(classicalRate, qubitRate, latency);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(), "--classical-rate, --qubit-rate, --latency: " + ex.getMessage());
        }
    }

    /** @return whether the rings' sends are paced to the modelled rates ({@code --pace}). */
    public boolean paced()
    {
        return pace;
    }

    /** @return the resolved settings, for the header and the report. */
    public Map<String, String> describe()
    {
        final Map<String, String> settings = new LinkedHashMap<>();
        settings.put("link", link.name().toLowerCase(Locale.ROOT));
        if (LinkChoice.CLASSICAL != link)
        {
            settings.put("noise", noise.text());
            settings.put("pair-noise", pairNoise.text());
            settings.put("t1", t1 == 0 ? "none" : t1 + " s");
            settings.put("t2", t2 == 0 ? "none" : t2 + " s");
            settings.put("pool-pairs", Long.toString(poolPairs));
            settings.put("verification-fraction", Double.toString(verificationFraction));
            settings.put("qber-threshold", Double.toString(qberThreshold));
            settings.put("eavesdrop", eavesdroppedLinks.isEmpty() ? "none" :
                eavesdroppedLinks.stream().map(EavesdroppedLink::text).collect(Collectors.joining(", ")));
            settings.put("alarm-policy", alarmPolicy.name().toLowerCase(Locale.ROOT));
        }
        settings.put("classical-rate", String.format(Locale.ROOT, "%,.0f bit/s", classicalRate));
        settings.put("qubit-rate", String.format(Locale.ROOT, "%,.0f qubit/s", qubitRate));
        settings.put("latency", String.format(Locale.ROOT, "%s ms", 1e3 * latency));
        settings.put("pace", pace ? "sends paced to the rates" : "off (rates only modelled)");
        return settings;
    }

    /** Which link kinds run. */
    public enum LinkChoice
    {
        /** Only the quantum ring. */
        QUANTUM,
        /** Only the classical ring. */
        CLASSICAL,
        /** Both, quantum first. */
        BOTH
    }

    /** What a quantum link does on a verification alarm. */
    public enum AlarmChoice
    {
        /** Fail the run. */
        ABORT,
        /** Carry on over the classical link. */
        FALLBACK
    }
}
