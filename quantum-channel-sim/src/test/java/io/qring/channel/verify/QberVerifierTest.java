package io.qring.channel.verify;

import io.qring.channel.codec.SuperdenseDecoder;
import io.qring.channel.codec.SuperdenseEncoder;
import io.qring.channel.epr.DistributedBatch;
import io.qring.channel.epr.EprPool;
import io.qring.channel.epr.ExhaustionPolicy;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LinkLedger;
import io.qring.channel.noise.PauliChannel;
import org.agrona.concurrent.NanoClock;
import org.apache.commons.math3.distribution.BinomialDistribution;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static io.qring.channel.noise.StatisticalAssert.assertBinomial;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QberVerifierTest
{
    @Test
    void shouldRejectInvalidSettings()
    {
        assertAll(
            () -> assertThrows(IllegalArgumentException.class, () -> new VerificationSettings(0, 0.01)),
            () -> assertThrows(IllegalArgumentException.class, () -> new VerificationSettings(0.5, 0.01)),
            () -> assertThrows(IllegalArgumentException.class, () -> new VerificationSettings(Double.NaN, 0.01)),
            () -> assertThrows(IllegalArgumentException.class, () -> new VerificationSettings(0.05, 0)),
            () -> assertThrows(IllegalArgumentException.class, () -> new VerificationSettings(0.05, 1)),
            () -> assertThrows(IllegalArgumentException.class, () -> VerificationSettings.defaults().hoeffdingRadius(0)),
            () -> assertThrows(IllegalArgumentException.class, () -> VerificationSettings.defaults().pairsToDetect(0.05)),
            () -> assertThrows(IllegalArgumentException.class, () -> new InterceptResendEavesdropper(1.5)));
    }

    @Test
    void shouldUseTheHoeffdingRadiusAndTheLowerBoundRule()
    {
        final VerificationSettings settings = new VerificationSettings(0.05, 1e-3);
        final double radius = Math.sqrt(Math.log(1000) / 2000);
        assertEquals(radius, settings.hoeffdingRadius(1000), 1e-15);
        final long lastQuiet = (long)Math.floor(1000 * (0.05 + radius));
        assertFalse(settings.isAlarm(lastQuiet, 1000));
        assertTrue(settings.isAlarm(lastQuiet + 1, 1000));
        final long n = settings.pairsToDetect(0.25);
        assertEquals((long)Math.ceil(2 * Math.log(1000) / (0.2 * 0.2)), n);
        assertTrue(0.05 + 2 * settings.hoeffdingRadius(n) <= 0.25);
        assertTrue(0.05 + 2 * settings.hoeffdingRadius(n - 1) > 0.25);
    }

    @Test
    void shouldExpectTheMeanOfTheTwoBitFlipRates()
    {
        final PauliChannel c = new PauliChannel(0.01, 0.02, 0.04);
        assertEquals((0.03 + 0.06) / 2, QberVerifier.expectedQber(c), 1e-15);
        assertEquals(0.25, QberVerifier.expectedQber(InterceptResendEavesdropper.everyPair().channel()), 1e-15);
        assertEquals(new PauliChannel(0, 0, 0.15), new InterceptResendEavesdropper(0.3).channel());
        final PauliChannel werner = PauliChannel.werner(0.97);
        assertEquals(werner.then(PauliChannel.dephasing(0.5)), InterceptResendEavesdropper.everyPair().attack(werner));
    }

    @Test
    void shouldMeasureMismatchRatesOfEachBasisMatchingTheHeldChannel()
    {
        final PauliChannel held = new PauliChannel(0.02, 0.01, 0.05);
        final VerificationRig rig = new VerificationRig(3, held, new VerificationSettings(0.2, 1e-3), 2000);
        final List<VerificationResult> results = rig.run(200);
        long z = 0;
        long zMismatches = 0;
        long x = 0;
        long xMismatches = 0;
        for (final VerificationResult r : results)
        {
            assertEquals(2000, r.sampledPairs());
            assertEquals(r.zBasisPairs() + r.xBasisPairs(), r.sampledPairs());
            z += r.zBasisPairs();
            zMismatches += r.zMismatches();
            x += r.xBasisPairs();
            xMismatches += r.xMismatches();
        }
        assertBinomial(z, z + x, 0.5, "Z-basis choices");
        assertBinomial(zMismatches, z, held.b2FlipProbability(), "Z-basis mismatches (X component)");
        assertBinomial(xMismatches, x, held.b1FlipProbability(), "X-basis mismatches (Z component)");
        assertBinomial(zMismatches + xMismatches, z + x, QberVerifier.expectedQber(held), "mismatches");
        assertSame(results.get(results.size() - 1), rig.verifier.lastResult());
    }

    /**
     * Both endpoints read the same announced outcomes, so the sender's pool must give every round the
     * receiver's result, alarms included, while only the receiver records the announcements. The two
     * clocks differ (a second against a microsecond per read) and both pools have a T1/T2 memory: the
     * sacrificed pairs are measured as they are distributed, so storage time must not enter. The channel
     * (dephasing 0.183, QBER 0.0915) sits on the alarm boundary of 2000 pairs at threshold 0.05 and
     * δ = 10⁻³ (radius 0.0416), so the 40 rounds of this seed hold both verdicts.
     */
    @Test
    void shouldReachTheReceiversVerdictOnTheSenderFromTheSameSeedWithoutRecordingIt()
    {
        final PauliChannel channel = PauliChannel.dephasing(0.183);
        final VerificationSettings rule = new VerificationSettings(0.05, 1e-3);
        final List<VerificationResult> receiverResults = new ArrayList<>();
        final List<VerificationResult> senderResults = new ArrayList<>();
        final LinkLedger receiverLedger = new LinkLedger("0->1");
        final LinkLedger senderLedger = new LinkLedger("0->1");
        final EprPool receiver = verifiedPool(EprPool.Side.RECEIVER, channel, new QberVerifier(rule, receiverResults::add),
            receiverLedger, stepClock(1_000));
        final EprPool sender = verifiedPool(EprPool.Side.SENDER, channel, new QberVerifier(rule, senderResults::add),
            senderLedger, stepClock(1_000_000_000));
        for (int round = 0; round < 40; round++)
        {
            receiver.take(receiver.available());
            receiver.refill();
            sender.take(sender.available());
            sender.refill();
        }

        assertEquals(receiverResults, senderResults);
        final long alarms = VerificationRig.alarms(receiverResults);
        assertTrue(alarms > 0 && alarms < receiverResults.size(), alarms + " alarms in " + receiverResults.size() + " rounds");
        assertEquals(alarms, receiverLedger.get(LedgerCounter.VERIFICATION_ALARMS));
        assertEquals(40 * (QberVerifier.ROUND_ANNOUNCEMENT_BITS + 2 * 2000), receiverLedger.get(LedgerCounter.ONLINE_CLASSICAL_BITS));
        assertEquals(0, senderLedger.get(LedgerCounter.VERIFICATION_ALARMS));
        assertEquals(0, senderLedger.get(LedgerCounter.ONLINE_CLASSICAL_BITS));
        assertEquals(40 * 2000, senderLedger.get(LedgerCounter.EPR_SACRIFICED));
    }

    private static EprPool verifiedPool(
        final EprPool.Side side, final PauliChannel channel, final QberVerifier verifier, final LinkLedger ledger, final NanoClock clock)
    {
        return EprPool.builder().linkName("0->1").side(side).capacity(2000).linkSeed(11).distributionChannel(channel)
            .memory(0.5, 0.2).clock(clock).verificationFraction(0.5).distributionListener(verifier).ledger(ledger).build();
    }

    /** A clock that moves on by {@code stepNs} at every read. */
    private static NanoClock stepClock(final long stepNs)
    {
        final AtomicLong now = new AtomicLong();
        return () -> now.addAndGet(stepNs);
    }

    @Test
    void shouldCountAnnouncementBitsOnTheReceiverAndSacrificesOnTheSender()
    {
        final VerificationRig rig = new VerificationRig(4, PauliChannel.NOISELESS, VerificationSettings.defaults(), 100);
        rig.run(10);
        assertEquals(10 * (QberVerifier.ROUND_ANNOUNCEMENT_BITS + 2 * 100), rig.ledger.get(LedgerCounter.ONLINE_CLASSICAL_BITS));
        assertEquals(0, rig.ledger.get(LedgerCounter.VERIFICATION_ALARMS));
        assertEquals(0, rig.ledger.get(LedgerCounter.EPR_SACRIFICED));

        final LinkLedger senderLedger = new LinkLedger("0->1");
        final EprPool sender = EprPool.builder().linkName("0->1").side(EprPool.Side.SENDER).capacity(100).verificationFraction(0.5)
            .distributionListener(rig.verifier).ledger(senderLedger).build();
        sender.refill();
        assertEquals(11, rig.results.size(), "the sender's pool is verified too");
        assertEquals(100, senderLedger.get(LedgerCounter.EPR_SACRIFICED));
        assertEquals(200, senderLedger.get(LedgerCounter.EPR_PRE_SHARED));
        assertEquals(0, senderLedger.get(LedgerCounter.ONLINE_CLASSICAL_BITS));
        assertThrows(IllegalArgumentException.class, () -> rig.verifier.verify(rig.receiver, new DistributedBatch(0, 0, 100, 0, 0)));
    }

    @Test
    void shouldCatchTheInterceptResendEavesdropperInEveryRoundWithTheConfiguredConfidence()
    {
        final VerificationSettings settings = new VerificationSettings(0.05, 1e-6);
        final PauliChannel attacked = InterceptResendEavesdropper.everyPair().attack(PauliChannel.werner(0.99));
        final double qber = QberVerifier.expectedQber(attacked);
        final int sampled = (int)settings.pairsToDetect(qber);
        final VerificationRig rig = new VerificationRig(5, attacked, settings, sampled);
        final List<VerificationResult> results = rig.run(300);
        assertEquals(300, VerificationRig.alarms(results), "miss probability per round <= 1e-6");
        assertEquals(300, rig.ledger.get(LedgerCounter.VERIFICATION_ALARMS));
        long z = 0;
        long zMismatches = 0;
        long x = 0;
        long xMismatches = 0;
        for (final VerificationResult r : results)
        {
            assertTrue(r.lowerBound() > settings.qberThreshold());
            z += r.zBasisPairs();
            zMismatches += r.zMismatches();
            x += r.xBasisPairs();
            xMismatches += r.xMismatches();
        }
        // Werner F = 0.99 has e = (1 - F)/3 on each Pauli; a Z measurement of every flying half (dephasing 1/2)
        // leaves pX = pY = e and makes pZ = 1/2 - e: X-basis mismatches 1/2, Z-basis mismatches 2e.
        final double e = 0.01 / 3;
        assertBinomial(xMismatches, x, 0.5, "X-basis mismatches under intercept-resend");
        assertBinomial(zMismatches, z, 2 * e, "Z-basis mismatches under intercept-resend");
    }

    @Test
    void shouldNotFlagAnHonestLowNoiseLink()
    {
        final VerificationSettings settings = new VerificationSettings(0.05, 1e-3);
        final VerificationRig rig = new VerificationRig(6, PauliChannel.depolarizing(1e-3), settings, 1000);
        final List<VerificationResult> results = rig.run(2000);
        assertEquals(0, VerificationRig.alarms(results));
        assertEquals(0, rig.ledger.get(LedgerCounter.VERIFICATION_ALARMS));
        final long mismatches = results.stream().mapToLong(VerificationResult::mismatches).sum();
        final long pairs = results.stream().mapToLong(VerificationResult::sampledPairs).sum();
        assertBinomial(mismatches, pairs, 2.0 / 3 * 1e-3, "mismatches of depolarizing 1e-3: QBER = 2p/3");
    }

    /**
     * The Hoeffding guarantee itself, with the alarm cut from an independent radius √(ln(1/δ)/(2n)): at the
     * threshold an honest link raises a false alarm with probability at most δ = 0.05 (4.6e-7 at n = 400),
     * where a verifier that dropped the radius would alarm with probability 0.44.
     */
    @Test
    void shouldBoundTheFalseAlarmProbabilityAtTheThresholdByDelta()
    {
        final double delta = 0.05;
        final int sampled = 400;
        final VerificationSettings settings = new VerificationSettings(0.05, delta);
        final double radius = Math.sqrt(Math.log(1 / delta) / (2.0 * sampled));
        int cut = 0;
        while ((double)cut / sampled - radius <= 0.05)
        {
            cut++;
        }
        for (int mismatches = Math.max(0, cut - 5); mismatches <= cut + 5; mismatches++)
        {
            assertEquals(mismatches >= cut, settings.isAlarm(mismatches, sampled), mismatches + " of " + sampled + " mismatches");
        }
        final double falseAlarm = 1 - new BinomialDistribution(sampled, 0.05).cumulativeProbability(cut - 1);
        assertTrue(falseAlarm <= delta, "false-alarm probability " + falseAlarm);
        final long alarms = VerificationRig.alarms(new VerificationRig(10, PauliChannel.dephasing(0.1), settings, sampled).run(2000));
        assertBinomial(alarms, 2000, falseAlarm, "false alarms at the threshold, δ = 0.05");
    }

    @Test
    void shouldKeepTheFalseAlarmRateOfAWorstCaseHonestLinkWithinDelta()
    {
        final double delta = 0.5;
        final int sampled = 400;
        final int rounds = 4000;
        final VerificationSettings settings = new VerificationSettings(0.05, delta);
        final PauliChannel atThreshold = PauliChannel.dephasing(0.1);
        assertEquals(0.05, QberVerifier.expectedQber(atThreshold), 1e-15);

        final double exact = alarmProbability(settings, sampled, 0.05);
        assertTrue(exact <= delta, "exact false-alarm probability " + exact);
        final long alarms = VerificationRig.alarms(new VerificationRig(7, atThreshold, settings, sampled).run(rounds));
        assertBinomial(alarms, rounds, exact, "false alarms at the threshold");
        assertTrue(alarms <= rounds * delta, alarms + " false alarms in " + rounds + " rounds");
    }

    @Test
    void shouldDetectAPartialInterceptWithTheProbabilityOfTheBinomialTail()
    {
        final VerificationSettings settings = new VerificationSettings(0.05, 1e-2);
        final int sampled = 1000;
        final int rounds = 3000;
        final double threshold = 0.05 + settings.hoeffdingRadius(sampled);
        final double fraction = 4 * threshold;
        final PauliChannel attacked = new InterceptResendEavesdropper(fraction).attack(PauliChannel.NOISELESS);
        final double qber = QberVerifier.expectedQber(attacked);
        assertEquals(fraction / 4, qber, 1e-15);

        final double exact = alarmProbability(settings, sampled, qber);
        assertTrue(exact > 0.2 && exact < 0.8, "detection probability " + exact);
        final long alarms = VerificationRig.alarms(new VerificationRig(8, attacked, settings, sampled).run(rounds));
        assertBinomial(alarms, rounds, exact, "detections of a " + fraction + " intercept");
    }

    @Test
    void shouldAbortDecodingWithAVerificationAlarmWhenEveIsOnTheLink()
    {
        final LinkLedger ledger = new LinkLedger("0->1");
        final PauliChannel attacked = InterceptResendEavesdropper.everyPair().attack(PauliChannel.NOISELESS);
        final QberVerifier verifier = new QberVerifier(VerificationSettings.defaults());
        final EprPool sender = EprPool.builder().linkName("0->1").side(EprPool.Side.SENDER).capacity(4096).linkSeed(9)
            .distributionChannel(attacked).verificationFraction(0.25).exhaustionPolicy(ExhaustionPolicy.REFILL_ON_DEMAND)
            .ledger(ledger).build();
        final EprPool receiver = EprPool.builder().linkName("0->1").side(EprPool.Side.RECEIVER).capacity(4096).linkSeed(9)
            .distributionChannel(attacked).verificationFraction(0.25).exhaustionPolicy(ExhaustionPolicy.REFILL_ON_DEMAND)
            .distributionListener(verifier).ledger(ledger).build();
        final byte[] payload = new byte[100];
        final byte[] wire = new byte[SuperdenseEncoder.wireLength(100)];
        new SuperdenseEncoder(sender).encode(payload, 0, 100, wire, 0);
        final SuperdenseDecoder decoder = new SuperdenseDecoder(receiver, PauliChannel.NOISELESS);
        assertNull(verifier.lastResult());

        final VerificationAlarm alarm = assertThrows(VerificationAlarm.class, () -> decoder.decode(wire, 0, wire.length, payload, 0));
        assertTrue(alarm.result().alarm());
        assertEquals(1366, alarm.result().sampledPairs());
        assertTrue(alarm.getMessage().contains("link '0->1' round 0"), alarm.getMessage());
        assertEquals(1, ledger.get(LedgerCounter.VERIFICATION_ALARMS));
        assertEquals(1366, ledger.get(LedgerCounter.EPR_SACRIFICED));
    }

    /** P(alarm) = P(M/n − ε &gt; τ) for M ~ Binomial(n, Q), found with the verifier's own rule. */
    private static double alarmProbability(final VerificationSettings settings, final int sampled, final double qber)
    {
        int firstAlarm = 0;
        while (!settings.isAlarm(firstAlarm, sampled))
        {
            firstAlarm++;
        }
        return 1 - new BinomialDistribution(sampled, qber).cumulativeProbability(firstAlarm - 1);
    }
}
