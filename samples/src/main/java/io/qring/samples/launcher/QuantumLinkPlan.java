package io.qring.samples.launcher;

import io.qring.allreduce.quantum.AlarmPolicy;
import io.qring.allreduce.quantum.QuantumLinkSettings;
import io.qring.channel.noise.PauliChannel;
import io.qring.channel.verify.VerificationResult;
import io.qring.channel.verify.VerificationSettings;

import java.util.List;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * How the quantum links of a run are configured, as chosen on the command line; turned into the
 * library's {@link QuantumLinkSettings} once the seed and the verification listener are known.
 *
 * @param onlineChannel        noise the encoded half suffers in flight.
 * @param distributionChannel  noise pairs suffer while distributed.
 * @param t1Seconds            memory relaxation time T1 of stored pairs, or 0 for no memory noise.
 * @param t2Seconds            memory coherence time T2 of stored pairs, or 0 for no memory noise.
 * @param poolCapacityPairs    usable pairs an EPR pool tops up to.
 * @param verificationFraction fraction of each distributed batch sacrificed for verification.
 * @param verification         QBER threshold and confidence of the alarm rule.
 * @param alarmPolicy          what a link does on an alarm.
 * @param eavesdroppedLinks    links whose pairs an intercept-resend eavesdropper attacks.
 */
public record QuantumLinkPlan(PauliChannel onlineChannel, PauliChannel distributionChannel, double t1Seconds, double t2Seconds,
    long poolCapacityPairs, double verificationFraction, VerificationSettings verification, AlarmPolicy alarmPolicy,
    List<EavesdroppedLink> eavesdroppedLinks)
{
    /**
     * Checks for missing parts; ranges are checked by {@link #settings}.
     *
     * @param onlineChannel        noise the encoded half suffers in flight.
     * @param distributionChannel  noise pairs suffer while distributed.
     * @param t1Seconds            memory relaxation time T1, or 0.
     * @param t2Seconds            memory coherence time T2, or 0.
     * @param poolCapacityPairs    usable pairs an EPR pool tops up to.
     * @param verificationFraction fraction of each batch sacrificed for verification.
     * @param verification         the alarm rule.
     * @param alarmPolicy          what a link does on an alarm.
     * @param eavesdroppedLinks    links whose pairs an eavesdropper attacks; copied.
     */
    public QuantumLinkPlan
    {
        Objects.requireNonNull(onlineChannel, "onlineChannel");
        Objects.requireNonNull(distributionChannel, "distributionChannel");
        Objects.requireNonNull(verification, "verification");
        Objects.requireNonNull(alarmPolicy, "alarmPolicy");
        eavesdroppedLinks = List.copyOf(eavesdroppedLinks);
    }

    /**
     * @return noiseless links with the library's default pool, verification and {@link AlarmPolicy#ABORT},
     *         and no eavesdropper.
     */
    public static QuantumLinkPlan noiseless()
    {
        return new QuantumLinkPlan(PauliChannel.NOISELESS, PauliChannel.NOISELESS, 0, 0, QuantumLinkSettings.DEFAULT_POOL_CAPACITY_PAIRS,
            QuantumLinkSettings.DEFAULT_VERIFICATION_FRACTION, VerificationSettings.defaults(), AlarmPolicy.ABORT, List.of());
    }

    /**
     * @param seed     seed of every link's EPR pairs and noise; equal on every rank.
     * @param listener told about every verification round of the links this process receives on.
     * @return the validated library settings.
     * @throws IllegalArgumentException naming the first invalid setting.
     */
    public QuantumLinkSettings settings(final long seed, final BiConsumer<String, VerificationResult> listener)
    {
        final QuantumLinkSettings.Builder builder = QuantumLinkSettings.builder()
            .onlineChannel(onlineChannel)
            .distributionChannel(distributionChannel)
            .poolCapacityPairs(poolCapacityPairs)
            .verificationFraction(verificationFraction)
            .verification(verification)
            .alarmPolicy(alarmPolicy)
            .seed(seed)
            .verificationListener(listener);
        if (t1Seconds != 0 || t2Seconds != 0)
        {
            builder.memory(t1Seconds, t2Seconds);
        }
        eavesdroppedLinks.forEach(link -> builder.eavesdropper(link.fromRank(), link.toRank(), link.eavesdropper()));
        return builder.build();
    }
}
