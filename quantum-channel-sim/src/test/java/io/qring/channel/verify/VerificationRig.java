package io.qring.channel.verify;

import io.qring.channel.epr.EprPool;
import io.qring.channel.ledger.LinkLedger;
import io.qring.channel.noise.PauliChannel;

import java.util.ArrayList;
import java.util.List;

/**
 * A receiver pool whose every refill sacrifices {@code sampledPairs} pairs (fraction ½, capacity equal to
 * the sample) to a verifier that records the results instead of throwing.
 */
final class VerificationRig
{
    final LinkLedger ledger = new LinkLedger("0->1");
    final List<VerificationResult> results = new ArrayList<>();
    final QberVerifier verifier;
    final EprPool receiver;

    VerificationRig(final long seed, final PauliChannel distribution, final VerificationSettings settings, final int sampledPairs)
    {
        verifier = new QberVerifier(settings, results::add);
        receiver = EprPool.builder()
            .linkName("0->1")
            .side(EprPool.Side.RECEIVER)
            .capacity(sampledPairs)
            .linkSeed(seed)
            .distributionChannel(distribution)
            .verificationFraction(0.5)
            .distributionListener(verifier)
            .ledger(ledger)
            .build();
    }

    /**
     * Runs verification rounds, consuming each batch in between.
     *
     * @param rounds rounds to run.
     * @return the results of this call.
     */
    List<VerificationResult> run(final int rounds)
    {
        final int start = results.size();
        for (int i = 0; i < rounds; i++)
        {
            receiver.take(receiver.available());
            receiver.refill();
        }
        return results.subList(start, results.size());
    }

    static long alarms(final List<VerificationResult> results)
    {
        return results.stream().filter(VerificationResult::alarm).count();
    }
}
