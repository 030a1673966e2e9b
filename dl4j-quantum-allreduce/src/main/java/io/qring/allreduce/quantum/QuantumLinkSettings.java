package io.qring.allreduce.quantum;

import io.qring.allreduce.RingAllReduce;
import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.link.LinkWrapper;
import io.qring.channel.epr.EprPool;
import io.qring.channel.frame.PauliFrame;
import io.qring.channel.ledger.LinkLedger;
import io.qring.channel.noise.DampingStages;
import io.qring.channel.noise.MemoryTimes;
import io.qring.channel.noise.PauliChannel;
import io.qring.channel.noise.SplitMix64;
import io.qring.channel.verify.InterceptResendEavesdropper;
import io.qring.channel.verify.VerificationResult;
import io.qring.channel.verify.VerificationSettings;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Immutable configuration of the quantum links of a ring: noise, EPR pools, verification, alarm
 * policy, integrity and the deadline of the links' own waits. Built once with {@link #builder()},
 * validated in {@link Builder#build()}, and turned into the ring's {@link LinkWrapper} by
 * {@link #wrapper()}. Every rank of a ring must use equal settings (same seed): the two endpoints of a
 * link derive their shared EPR pairs from it.
 */
public final class QuantumLinkSettings
{
    /** Default usable pairs a pool tops up to: 2^23 pairs carry 2 MiB of payload. */
    public static final long DEFAULT_POOL_CAPACITY_PAIRS = 1L << 23;
    /**
     * Fewest pairs a pool may hold: a frame's pairs come from one pool fill, so the pool must carry the
     * ring's longest message that cannot be split, a collective's descriptor (4 pairs per byte).
     */
    public static final long MIN_POOL_CAPACITY_PAIRS = 4L * RingAllReduce.DESCRIPTOR_LENGTH;
    /** Default fraction of every distributed batch sacrificed for verification. */
    public static final double DEFAULT_VERIFICATION_FRACTION = 0.01;
    /** Default repair rounds a frame may take before the link fails. */
    public static final int DEFAULT_MAX_REPAIR_ROUNDS = 64;
    /** Default messages a sender keeps in flight before waiting for acknowledgements. */
    public static final int DEFAULT_WINDOW = 16;
    /** Block length meaning "choose from the noise" ({@link #blockLength(int, int)}). */
    public static final int AUTO_BLOCK_LENGTH = 0;
    /** Classical bits a block costs per transmission: its checksum, or its index in a repair. */
    private static final int CHECKSUM_BITS = 32;
    /** Block lengths are whole words of this many bytes. */
    private static final int MIN_BLOCK_BYTES = 8;
    /** Largest block length chosen from the noise. */
    private static final int MAX_BLOCK_BYTES = 1 << 20;
    /** Smallest block length a link adapts down to when it observes more noise than configured. */
    public static final int MIN_ADAPTIVE_BLOCK_LENGTH = 16;
    /** Default seed of the link seeds. */
    public static final long DEFAULT_SEED = 42;
    /** Default deadline of each wait a link makes on its own account ({@link #controlTimeoutNs()}): 10 s. */
    public static final long DEFAULT_CONTROL_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    private final PauliChannel distributionChannel;
    private final PauliChannel onlineChannel;
    private final double t1Seconds;
    private final double t2Seconds;
    private final long poolCapacityPairs;
    private final double verificationFraction;
    private final VerificationSettings verification;
    private final AlarmPolicy alarmPolicy;
    private final int maxRepairRounds;
    private final int configuredBlockLength;
    private final int window;
    private final long seed;
    private final long controlTimeoutNs;
    private final NanoClock clock;
    private final Map<String, InterceptResendEavesdropper> eavesdroppers;
    private final BiConsumer<String, VerificationResult> verificationListener;

    private QuantumLinkSettings(final Builder b)
    {
        this.distributionChannel = b.distributionChannel;
        this.onlineChannel = b.onlineChannel;
        this.t1Seconds = b.t1Seconds;
        this.t2Seconds = b.t2Seconds;
        this.poolCapacityPairs = b.poolCapacityPairs;
        this.verificationFraction = b.verificationFraction;
        this.verification = b.verification;
        this.alarmPolicy = b.alarmPolicy;
        this.maxRepairRounds = b.maxRepairRounds;
        this.configuredBlockLength = b.blockLength;
        this.window = b.window;
        this.seed = b.seed;
        this.controlTimeoutNs = b.controlTimeoutNs;
        this.clock = b.clock;
        this.eavesdroppers = Map.copyOf(b.eavesdroppers);
        this.verificationListener = b.verificationListener;
    }

    /** @return a builder with the documented defaults: noiseless, ABORT on alarm, 1% verification. */
    public static Builder builder()
    {
        return new Builder();
    }

    /** @return the ring's link wrapper: quantum sender on every next link, receiver on every previous link. */
    public LinkWrapper wrapper()
    {
        return new QuantumLinkWrapper(this);
    }

    /** @return channel a pair suffers while it is distributed (offline). */
    public PauliChannel distributionChannel()
    {
        return distributionChannel;
    }

    /** @return channel the encoded half suffers in flight (online). */
    public PauliChannel onlineChannel()
    {
        return onlineChannel;
    }

    /** @return whether stored pairs decohere (T1/T2 configured). */
    public boolean hasMemory()
    {
        return t1Seconds > 0;
    }

    /** @return memory relaxation time T1 in seconds, or 0 for none. */
    public double t1Seconds()
    {
        return t1Seconds;
    }

    /** @return memory coherence time T2 in seconds, or 0 for none. */
    public double t2Seconds()
    {
        return t2Seconds;
    }

    /** @return usable pairs a pool tops up to when it runs dry. */
    public long poolCapacityPairs()
    {
        return poolCapacityPairs;
    }

    /** @return fraction of each distributed batch sacrificed for verification. */
    public double verificationFraction()
    {
        return verificationFraction;
    }

    /** @return the QBER alarm rule. */
    public VerificationSettings verification()
    {
        return verification;
    }

    /** @return what a link does on a verification alarm. */
    public AlarmPolicy alarmPolicy()
    {
        return alarmPolicy;
    }

    /** @return repair rounds a frame may take before the link fails. */
    public int maxRepairRounds()
    {
        return maxRepairRounds;
    }

    /** @return messages a sender keeps unacknowledged before it waits. */
    public int window()
    {
        return window;
    }

    /** @return messages a receiver delivers per cumulative acknowledgement: half the window, at least 1. */
    int acknowledgeEvery()
    {
        return Math.max(1, window / 2);
    }

    /** @return seed from which every link's EPR seed is derived. */
    public long seed()
    {
        return seed;
    }

    /**
     * Deadline of every wait a link makes on its own account rather than within a caller's send or
     * receive: the sender's control thread handing one repair frame to the transport, the receiver
     * handing over an acknowledgement on {@code close()}, and a closing sender waiting for its last
     * acknowledgements. Inside a receive, and in the flush that ends a collective, the earlier of this
     * and the caller's deadline applies. A repair or control message that misses its deadline fails the
     * link with the transport's error naming the peer, and the ring's next send or receive on that link
     * throws it. Keep it no longer than the ring's operation timeout.
     *
     * @return the deadline, in nanoseconds from the start of the wait.
     */
    public long controlTimeoutNs()
    {
        return controlTimeoutNs;
    }

    /** @return clock timing storage decoherence. */
    NanoClock clock()
    {
        return clock;
    }

    /** @return told about every verification round of every link this process receives on. */
    BiConsumer<String, VerificationResult> verificationListener()
    {
        return verificationListener;
    }

    /**
     * The checksummed block length one directed link starts with: configured explicitly, or chosen from
     * the symbol error probability p of that link's own channel ({@link #linkChannel}, which includes an
     * eavesdropper placed on it): one block per frame when p = 0, otherwise the whole number of 8-byte
     * words that minimises qubits plus checksum bits spent per payload pair under selective repair
     * ({@link #blockLengthFor}; about √(32/p) pairs for small p). Both ends of the link size their
     * frames from it.
     *
     * @param fromRank sending rank.
     * @param toRank   receiving rank.
     * @return bytes of payload per checksummed block on that link.
     */
    public int blockLength(final int fromRank, final int toRank)
    {
        return blockLengthOver(linkChannel(fromRank, toRank));
    }

    private int blockLengthOver(final PauliChannel channel)
    {
        return configuredBlockLength != AUTO_BLOCK_LENGTH ? configuredBlockLength : blockLengthFor(channel.symbolErrorProbability());
    }

    /**
     * Channel a payload pair of one directed link suffers end to end, the link's distribution channel
     * ({@link #distributionChannel(int, int)}, an eavesdropper's disturbance included) followed by the
     * online channel; T1/T2 storage noise comes on top of it.
     *
     * @param fromRank sending rank.
     * @param toRank   receiving rank.
     * @return the link's channel.
     */
    PauliChannel linkChannel(final int fromRank, final int toRank)
    {
        return distributionChannel(fromRank, toRank).then(onlineChannel);
    }

    /**
     * Whether one directed link may send each frame as a single block with no room to split it: its
     * blocks are chosen from the noise, its channel has no symbol errors, its pairs are not stored
     * in a decohering memory, and no eavesdropper sits on it. Any other link reserves room in every frame
     * for blocks as short as {@link #MIN_ADAPTIVE_BLOCK_LENGTH}, so it can adapt to more noise than it
     * was sized for.
     *
     * @param fromRank sending rank.
     * @param toRank   receiving rank.
     * @return whether the link is treated as noiseless.
     */
    boolean isNoiseless(final int fromRank, final int toRank)
    {
        return isBlockLengthAdaptive() && !hasMemory() && !eavesdroppers.containsKey(LinkLedger.linkName(fromRank, toRank)) &&
            linkChannel(fromRank, toRank).symbolErrorProbability() <= 0;
    }

    /** @return whether links choose (and adapt) their block length from the noise they see. */
    boolean isBlockLengthAdaptive()
    {
        return configuredBlockLength == AUTO_BLOCK_LENGTH;
    }

    /**
     * The block length minimising what a payload pair costs under selective repair, qubits plus
     * checksum bits: a block of B pairs costs B qubits and 32 classical bits (its CRC-32C when first
     * sent, its index when a repair asks for it and resends it) per transmission, and needs 1/(1 − p)^B
     * transmissions on average, so a payload pair costs (B + 32) / (B·(1 − p)^B). Its minimum over real B
     * solves B(B + 32) = −32 / ln(1 − p) (≈ √(32/p) pairs for small p); blocks are whole 8-byte words
     * (32 pairs), so this returns the cheaper of the two word counts around it. One block per frame when
     * p = 0.
     *
     * @param symbolErrorProbability p in [0, 1].
     * @return bytes per checksummed block, a multiple of 8 in [8, 2^20], or {@link Integer#MAX_VALUE} (one block
     *         per frame) when p ≤ 0.
     */
    public static int blockLengthFor(final double symbolErrorProbability)
    {
        if (symbolErrorProbability <= 0)
        {
            return Integer.MAX_VALUE;
        }
        if (symbolErrorProbability >= 1)
        {
            return MIN_BLOCK_BYTES;
        }
        final double logNoError = Math.log1p(-symbolErrorProbability);
        final double optimumPairs = (-CHECKSUM_BITS + Math.sqrt(CHECKSUM_BITS * CHECKSUM_BITS - 4 * CHECKSUM_BITS / logNoError)) / 2;
        final double words = Math.min(MAX_BLOCK_BYTES / MIN_BLOCK_BYTES, optimumPairs / PauliFrame.PAIRS_PER_WORD);
        final long fewer = Math.max(1, (long)Math.floor(words));
        final long more = Math.min(MAX_BLOCK_BYTES / MIN_BLOCK_BYTES, fewer + 1);
        final long bestWords = costPerPayloadPair(fewer * PauliFrame.PAIRS_PER_WORD, logNoError) <=
            costPerPayloadPair(more * PauliFrame.PAIRS_PER_WORD, logNoError) ? fewer : more;
        return (int)(bestWords * MIN_BLOCK_BYTES);
    }

    /**
     * Qubits plus checksum bits a payload pair costs in blocks of the given size (see {@link #blockLengthFor}).
     *
     * @param blockPairs pairs per block.
     * @param logNoError ln(1 − p).
     * @return the expected cost per payload pair.
     */
    static double costPerPayloadPair(final double blockPairs, final double logNoError)
    {
        return (blockPairs + CHECKSUM_BITS) / (blockPairs * Math.exp(blockPairs * logNoError));
    }

    /**
     * Seed of the EPR pairs of one directed link, the same at both endpoints.
     *
     * @param fromRank sending rank.
     * @param toRank   receiving rank.
     * @return the link seed.
     */
    public long linkSeed(final int fromRank, final int toRank)
    {
        return SplitMix64.mix64(seed + SplitMix64.GOLDEN_GAMMA * (((long)fromRank << 32) | (toRank & 0xFFFF_FFFFL)));
    }

    /**
     * Distribution channel of one directed link: the configured noise, followed by an eavesdropper's
     * disturbance if one was placed on that link.
     *
     * @param fromRank sending rank.
     * @param toRank   receiving rank.
     * @return the channel pairs of that link suffer while distributed.
     */
    public PauliChannel distributionChannel(final int fromRank, final int toRank)
    {
        final InterceptResendEavesdropper eve = eavesdroppers.get(LinkLedger.linkName(fromRank, toRank));
        return eve == null ? distributionChannel : eve.attack(distributionChannel);
    }

    /**
     * @param worldSize number of ranks of the ring these settings are used on.
     * @throws IllegalArgumentException if an eavesdropper sits on a link the ring does not have (a ring
     *                                  link goes from rank r to rank (r + 1) mod N).
     */
    void checkRing(final int worldSize)
    {
        final Set<String> ringLinks = new HashSet<>();
        for (int rank = 0; rank < worldSize; rank++)
        {
            ringLinks.add(LinkLedger.linkName(rank, (rank + 1) % worldSize));
        }
        for (final String link : eavesdroppers.keySet())
        {
            if (!ringLinks.contains(link))
            {
                throw new IllegalArgumentException("eavesdropper on link " + link + ", which a ring of " + worldSize +
                    " ranks does not have (its links are " + new TreeSet<>(ringLinks) + ")");
            }
        }
    }

    /**
     * The settings both ends of a link must share, compared with every neighbour's when the ring connects
     * ({@link LinkWrapper#ringSettings()}): everything here but the deadline of the links' own waits, the
     * clock and the verification listener, which are each rank's own.
     *
     * @return {@code links = quantum} and one {@code quantum.*} entry per setting, sorted by name.
     */
    public SortedMap<String, String> ringSettings()
    {
        final SortedMap<String, String> settings = new TreeMap<>();
        settings.put(RingContext.LINKS_SETTING, "quantum");
        settings.put("quantum.alarm-policy", alarmPolicy.name());
        settings.put("quantum.block-length", isBlockLengthAdaptive() ? "auto" : Integer.toString(configuredBlockLength));
        settings.put("quantum.distribution-channel", settingText(distributionChannel));
        final SortedMap<String, String> eavesdropping = new TreeMap<>();
        eavesdroppers.forEach((link, eve) -> eavesdropping.put(link, RingContext.settingValue(eve.interceptFraction())));
        settings.put("quantum.eavesdroppers", eavesdropping.toString());
        settings.put("quantum.max-repair-rounds", Integer.toString(maxRepairRounds));
        settings.put("quantum.online-channel", settingText(onlineChannel));
        settings.put("quantum.pool-capacity-pairs", Long.toString(poolCapacityPairs));
        settings.put("quantum.seed", Long.toString(seed));
        settings.put("quantum.t1-seconds", RingContext.settingValue(t1Seconds));
        settings.put("quantum.t2-seconds", RingContext.settingValue(t2Seconds));
        settings.put("quantum.verification", "QBER threshold " + RingContext.settingValue(verification.qberThreshold()) +
            ", delta " + RingContext.settingValue(verification.delta()));
        settings.put("quantum.verification-fraction", RingContext.settingValue(verificationFraction));
        settings.put("quantum.window", Integer.toString(window));
        return settings;
    }

    private static String settingText(final PauliChannel channel)
    {
        return "pX " + RingContext.settingValue(channel.pX()) + ", pY " + RingContext.settingValue(channel.pY()) +
            ", pZ " + RingContext.settingValue(channel.pZ());
    }

    @Override
    public String toString()
    {
        return "QuantumLinkSettings{distribution=" + distributionChannel + ", online=" + onlineChannel +
            ", t1=" + t1Seconds + "s, t2=" + t2Seconds + "s, poolCapacityPairs=" + poolCapacityPairs +
            ", verificationFraction=" + verificationFraction + ", verification=" + verification +
            ", alarmPolicy=" + alarmPolicy + ", maxRepairRounds=" + maxRepairRounds + ", blockLength=" + blockLengthOver(distributionChannel.then(onlineChannel)) +
            ", window=" + window + ", seed=" + seed + ", controlTimeoutMs=" + TimeUnit.NANOSECONDS.toMillis(controlTimeoutNs) +
            ", eavesdroppers=" + eavesdroppers.keySet() + '}';
    }

    /** Fluent builder of {@link QuantumLinkSettings}; {@link #build()} validates everything once. */
    public static final class Builder
    {
        private PauliChannel distributionChannel = PauliChannel.NOISELESS;
        private PauliChannel onlineChannel = PauliChannel.NOISELESS;
        private double t1Seconds;
        private double t2Seconds;
        private long poolCapacityPairs = DEFAULT_POOL_CAPACITY_PAIRS;
        private double verificationFraction = DEFAULT_VERIFICATION_FRACTION;
        private VerificationSettings verification = VerificationSettings.defaults();
        private AlarmPolicy alarmPolicy = AlarmPolicy.ABORT;
        private int maxRepairRounds = DEFAULT_MAX_REPAIR_ROUNDS;
        private int blockLength = AUTO_BLOCK_LENGTH;
        private int window = DEFAULT_WINDOW;
        private long seed = DEFAULT_SEED;
        private long controlTimeoutNs = DEFAULT_CONTROL_TIMEOUT_NS;
        private NanoClock clock = SystemNanoClock.INSTANCE;
        private final Map<String, InterceptResendEavesdropper> eavesdroppers = new HashMap<>();
        private BiConsumer<String, VerificationResult> verificationListener = (link, result) -> { };

        private Builder()
        {
        }

        /**
         * Noise pairs suffer while distributed. The link is simulated exactly when at most one of the three
         * stages damps: this channel, the {@link #memory memory} (which always damps) and the
         * {@link #onlineChannel online channel}. A second damping stage (e.g.
         * {@link PauliChannel#amplitudeDamping} here and a memory) turns the Φ+/Φ− coherence the first leaves
         * into decoded errors no Pauli channel has (the exact checker puts the gap at γ·γ′/4 per error
         * weight), so {@link #build()} refuses it; combine damping with Pauli channels only.
         *
         * @param channel noise pairs suffer while distributed, e.g. {@code PauliChannel.werner(0.99)}.
         * @return this builder.
         */
        public Builder distributionChannel(final PauliChannel channel)
        {
            this.distributionChannel = Objects.requireNonNull(channel, "distribution channel");
            return this;
        }

        /**
         * Noise the encoded half suffers in flight; amplitude damping here after a damping
         * {@link #distributionChannel distribution channel} or a {@link #memory memory} would make the
         * decoded errors depend on the message, so {@link #build()} refuses it (see {@link #distributionChannel}).
         *
         * @param channel noise the encoded half suffers in flight, e.g. {@code PauliChannel.depolarizing(1e-3)}.
         * @return this builder.
         */
        public Builder onlineChannel(final PauliChannel channel)
        {
            this.onlineChannel = Objects.requireNonNull(channel, "online channel");
            return this;
        }

        /**
         * Stored pairs decohere with these times while they wait in the pool: amplitude damping of both
         * halves and pure dephasing, so no other stage may damp (see {@link #distributionChannel}).
         *
         * @param t1 relaxation time T1 in seconds, &gt; 0; with {@code t2}, 0 for no memory decoherence (the default).
         * @param t2 coherence time T2 in seconds, in (0, 2·T1]; 0 with {@code t1} 0.
         * @return this builder.
         */
        public Builder memory(final double t1, final double t2)
        {
            this.t1Seconds = t1;
            this.t2Seconds = t2;
            return this;
        }

        /**
         * @param pairs usable pairs a pool tops up to; must hold at least one whole frame (4 pairs per byte).
         * @return this builder.
         */
        public Builder poolCapacityPairs(final long pairs)
        {
            this.poolCapacityPairs = pairs;
            return this;
        }

        /**
         * @param fraction of each distributed batch sacrificed for verification, in
         *                 [0, {@link EprPool#MAX_VERIFICATION_FRACTION}].
         * @return this builder.
         */
        public Builder verificationFraction(final double fraction)
        {
            this.verificationFraction = fraction;
            return this;
        }

        /**
         * @param settings QBER threshold and confidence of the alarm rule.
         * @return this builder.
         */
        public Builder verification(final VerificationSettings settings)
        {
            this.verification = Objects.requireNonNull(settings, "verification settings");
            return this;
        }

        /**
         * @param policy what a link does on a verification alarm.
         * @return this builder.
         */
        public Builder alarmPolicy(final AlarmPolicy policy)
        {
            this.alarmPolicy = Objects.requireNonNull(policy, "alarm policy");
            return this;
        }

        /**
         * @param rounds repair rounds a frame may take before the link fails, ≥ 1.
         * @return this builder.
         */
        public Builder maxRepairRounds(final int rounds)
        {
            this.maxRepairRounds = rounds;
            return this;
        }

        /**
         * @param bytes payload bytes per checksummed block, a positive multiple of 8, or
         *              {@link #AUTO_BLOCK_LENGTH} to choose from the noise.
         * @return this builder.
         */
        public Builder blockLength(final int bytes)
        {
            this.blockLength = bytes;
            return this;
        }

        /**
         * @param messages messages a sender keeps unacknowledged before it waits, ≥ 1.
         * @return this builder.
         */
        public Builder window(final int messages)
        {
            this.window = messages;
            return this;
        }

        /**
         * @param seed seed of every link's EPR pairs and noise; equal on every rank.
         * @return this builder.
         */
        public Builder seed(final long seed)
        {
            this.seed = seed;
            return this;
        }

        /**
         * @param nanos deadline of each wait a link makes on its own account (repair and control
         *              sends, the closing drain), &gt; 0; see {@link QuantumLinkSettings#controlTimeoutNs()}.
         * @return this builder.
         */
        public Builder controlTimeoutNs(final long nanos)
        {
            this.controlTimeoutNs = nanos;
            return this;
        }

        /**
         * @param clock clock timing storage decoherence (tests use a manual one).
         * @return this builder.
         */
        public Builder clock(final NanoClock clock)
        {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Places an intercept-resend eavesdropper on the distribution of one directed link's pairs.
         *
         * @param fromRank sending rank of the link.
         * @param toRank   receiving rank of the link.
         * @param eve      the attack.
         * @return this builder.
         */
        public Builder eavesdropper(final int fromRank, final int toRank, final InterceptResendEavesdropper eve)
        {
            eavesdroppers.put(LinkLedger.linkName(fromRank, toRank), Objects.requireNonNull(eve, "eavesdropper"));
            return this;
        }

        /**
         * @param listener told (link name, result) about every verification round of links received on. It
         *                 runs on the receiving rank's collective thread while the link's EPR pool is locked,
         *                 after an alarm has been recorded, so it should return quickly; if it throws, the
         *                 collective fails with its exception and the ring is unusable.
         * @return this builder.
         */
        public Builder verificationListener(final BiConsumer<String, VerificationResult> listener)
        {
            this.verificationListener = Objects.requireNonNull(listener, "verification listener");
            return this;
        }

        /**
         * @return the validated settings.
         * @throws IllegalArgumentException naming the first invalid setting.
         */
        public QuantumLinkSettings build()
        {
            if (t1Seconds != 0 || t2Seconds != 0)
            {
                MemoryTimes.validate(t1Seconds, t2Seconds);
            }
            requireOneDampingStage();
            if (poolCapacityPairs < MIN_POOL_CAPACITY_PAIRS)
            {
                throw new IllegalArgumentException("EPR pool capacity must be at least " + MIN_POOL_CAPACITY_PAIRS +
                    " pairs (one " + RingAllReduce.DESCRIPTOR_LENGTH + "-byte collective descriptor), got " + poolCapacityPairs);
            }
            if (!(verificationFraction >= 0 && verificationFraction <= EprPool.MAX_VERIFICATION_FRACTION))
            {
                throw new IllegalArgumentException("verification fraction must be in [0, " + EprPool.MAX_VERIFICATION_FRACTION +
                    "], got " + verificationFraction);
            }
            if (maxRepairRounds < 1)
            {
                throw new IllegalArgumentException("max repair rounds must be >= 1, got " + maxRepairRounds);
            }
            if (blockLength != AUTO_BLOCK_LENGTH && (blockLength < 8 || blockLength % 8 != 0))
            {
                throw new IllegalArgumentException("block length must be a positive multiple of 8 bytes, got " + blockLength);
            }
            if (window < 1)
            {
                throw new IllegalArgumentException("window must be >= 1 message, got " + window);
            }
            if (controlTimeoutNs <= 0)
            {
                throw new IllegalArgumentException("control timeout must be > 0 ns, got " + controlTimeoutNs);
            }
            return new QuantumLinkSettings(this);
        }

        /** Refuses amplitude damping in more than one stage, which no Pauli channel simulates exactly. */
        private void requireOneDampingStage()
        {
            new DampingStages().stage(DampingStages.DISTRIBUTION, distributionChannel.fromDamping())
                .stage(DampingStages.MEMORY, t1Seconds != 0).stage(DampingStages.ONLINE, onlineChannel.fromDamping())
                .requireAtMostOne("");
        }
    }
}
