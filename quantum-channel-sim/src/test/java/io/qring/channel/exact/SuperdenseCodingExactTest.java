package io.qring.channel.exact;

import io.qring.channel.noise.PauliChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.stream.Stream;

import static io.qring.channel.exact.EncodingStage.AFTER_ENCODING;
import static io.qring.channel.exact.EncodingStage.BEFORE_ENCODING;
import static io.qring.channel.exact.ExactTables.TOLERANCE;
import static io.qring.channel.exact.ExactTables.assertPauliEquivalent;
import static io.qring.channel.exact.PairHalf.A;
import static io.qring.channel.exact.PairHalf.B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves, by exact density-matrix simulation of the superdense-coding circuit, that every
 * PauliChannel factory predicts the decoded-symbol distribution for every message, on either half,
 * before or after encoding: P(decoded | sent) = weight(sent XOR decoded).
 */
class SuperdenseCodingExactTest
{
    static Stream<Arguments> singleHalfChannels()
    {
        return Stream.of(
            Arguments.of("depolarizing 0", KrausChannel.depolarizing(0), PauliChannel.depolarizing(0)),
            Arguments.of("depolarizing 0.05", KrausChannel.depolarizing(0.05), PauliChannel.depolarizing(0.05)),
            Arguments.of("depolarizing 0.3", KrausChannel.depolarizing(0.3), PauliChannel.depolarizing(0.3)),
            Arguments.of("depolarizing 1", KrausChannel.depolarizing(1), PauliChannel.depolarizing(1)),
            Arguments.of("dephasing 0.07", KrausChannel.dephasing(0.07), PauliChannel.dephasing(0.07)),
            Arguments.of("dephasing 1", KrausChannel.dephasing(1), PauliChannel.dephasing(1)),
            Arguments.of("bit flip 0.2", KrausChannel.bitFlip(0.2), PauliChannel.bitFlip(0.2)),
            Arguments.of("bit flip 1", KrausChannel.bitFlip(1), PauliChannel.bitFlip(1)),
            Arguments.of("amplitude damping 1e-3", KrausChannel.amplitudeDamping(1e-3), PauliChannel.amplitudeDamping(1e-3)),
            Arguments.of("amplitude damping 0.3", KrausChannel.amplitudeDamping(0.3), PauliChannel.amplitudeDamping(0.3)),
            Arguments.of("amplitude damping 0.9", KrausChannel.amplitudeDamping(0.9), PauliChannel.amplitudeDamping(0.9)),
            Arguments.of("amplitude damping 1", KrausChannel.amplitudeDamping(1), PauliChannel.amplitudeDamping(1)),
            Arguments.of("memory t=1ms T1=5ms T2=3ms", KrausChannel.memory(1e-3, 5e-3, 3e-3), PauliChannel.memory(1e-3, 5e-3, 3e-3)),
            Arguments.of("memory T2=2T1", KrausChannel.memory(2e-3, 1e-3, 2e-3), PauliChannel.memory(2e-3, 1e-3, 2e-3)),
            Arguments.of("memory T2<<T1", KrausChannel.memory(0.01, 0.02, 0.005), PauliChannel.memory(0.01, 0.02, 0.005)),
            Arguments.of("memory t=0", KrausChannel.memory(0, 1, 1), PauliChannel.memory(0, 1, 1)),
            Arguments.of("intercept-resend Z", KrausChannel.interceptResendZ(), PauliChannel.dephasing(0.5)));
    }

    @Test
    void shouldDecodeEveryMessageWithoutNoise()
    {
        assertPauliEquivalent(PauliChannel.NOISELESS, SuperdenseCodingCircuit.decodingTable(), "noiseless");
        for (int message = 0; message < SuperdenseCodingCircuit.MESSAGE_COUNT; message++)
        {
            final StateVector finalState = SuperdenseCodingCircuit.noiselessFinalState(message);
            assertEquals(1.0, finalState.probability(SuperdenseCodingCircuit.basisIndexOf(message)), TOLERANCE);
            assertEquals(message >>> 1, finalState.probability(PairHalf.A.qubit(), 1), TOLERANCE, "A measures b1");
            assertEquals(message & 1, finalState.probability(PairHalf.B.qubit(), 1), TOLERANCE, "B measures b2");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("singleHalfChannels")
    void shouldMatchPauliFactoryOnEitherHalfBeforeOrAfterEncoding(
        final String name, final KrausChannel channel, final PauliChannel expected)
    {
        for (final PairHalf half : PairHalf.values())
        {
            for (final EncodingStage stage : EncodingStage.values())
            {
                final double[][] table = SuperdenseCodingCircuit.decodingTable(new ChannelInsertion(channel, half, stage));
                assertPauliEquivalent(expected, table, name + " on " + half + " " + stage);
            }
        }
    }

    @ParameterizedTest(name = "F = {0}")
    @ValueSource(doubles = { 0.25, 0.5, 0.8107, 0.95, 0.999, 1.0 })
    void shouldMatchWernerFactoryForWernerPair(final double fidelity)
    {
        final double[][] table = SuperdenseCodingCircuit.decodingTable(BellStates.werner(fidelity), List.of());
        assertPauliEquivalent(PauliChannel.werner(fidelity), table, "Werner F=" + fidelity);

        final DensityMatrix depolarizedHalf = BellStates.phiPlus().apply(A.qubit(), KrausChannel.depolarizing(1 - fidelity));
        assertEquals(0.0, BellStates.werner(fidelity).maxAbsDifference(depolarizedHalf), TOLERANCE,
            "Werner pair = one half depolarized with p = 1 - F");
    }

    @ParameterizedTest(name = "gammaA={0} gammaB={1}")
    @MethodSource("dampingPairs")
    void shouldMatchBothHalvesFactoryWhenBothHalvesDampBeforeEncoding(final double gammaA, final double gammaB)
    {
        final PauliChannel expected = PauliChannel.amplitudeDampingBothHalves(gammaA, gammaB);
        final KrausChannel onA = KrausChannel.amplitudeDamping(gammaA);
        final KrausChannel onB = KrausChannel.amplitudeDamping(gammaB);
        for (final EncodingStage stageOfB : EncodingStage.values())
        {
            final double[][] table = SuperdenseCodingCircuit.decodingTable(
                new ChannelInsertion(onA, A, BEFORE_ENCODING), new ChannelInsertion(onB, B, stageOfB));
            assertPauliEquivalent(expected, table, "A damped before encoding, B " + stageOfB);
        }
        final double[][] fromDampedPair = SuperdenseCodingCircuit.decodingTable(
            BellStates.amplitudeDampedPhiPlus(gammaA, gammaB), List.of());
        assertPauliEquivalent(expected, fromDampedPair, "pre-damped shared pair");
        assertPauliEquivalent(PauliChannel.amplitudeDampingBothHalves(gammaB, gammaA), fromDampedPair, "symmetric in the halves");

        final double[] bellWeights = BellStates.weights(BellStates.amplitudeDampedPhiPlus(gammaA, gammaB));
        for (int label = 0; label < BellStates.COUNT; label++)
        {
            assertEquals(expected.weight(label), bellWeights[label], TOLERANCE, "Bell weight of label " + label);
        }
    }

    static Stream<Arguments> dampingPairs()
    {
        return Stream.of(
            Arguments.of(0.3, 0.7), Arguments.of(0.1, 0.55), Arguments.of(1.0, 0.2), Arguments.of(0.5, 0.5),
            Arguments.of(0.0, 0.4), Arguments.of(1e-4, 3e-4));
    }

    @Test
    void shouldReduceBothHalvesFactoryToSingleHalfWhenOneGammaIsZero()
    {
        final PauliChannel both = PauliChannel.amplitudeDampingBothHalves(0.42, 0);
        final PauliChannel single = PauliChannel.amplitudeDamping(0.42);
        assertEquals(single.pX(), both.pX(), TOLERANCE);
        assertEquals(single.pY(), both.pY(), TOLERANCE);
        assertEquals(single.pZ(), both.pZ(), TOLERANCE);
    }

    @Test
    void shouldNotBeAPauliChannelWhenFlyingHalfDampsAfterEncodingWhileStoredHalfDamps()
    {
        final KrausChannel fullDecay = KrausChannel.amplitudeDamping(1);
        final double[][] table = SuperdenseCodingCircuit.decodingTable(
            new ChannelInsertion(fullDecay, A, AFTER_ENCODING), new ChannelInsertion(fullDecay, B, BEFORE_ENCODING));
        for (int sent = 0; sent < SuperdenseCodingCircuit.MESSAGE_COUNT; sent++)
        {
            assertEquals(0.5, table[sent][0b00], TOLERANCE, "both halves end in |00>, whatever was sent");
            assertEquals(0.5, table[sent][0b10], TOLERANCE);
        }

        final double[][] partial = SuperdenseCodingCircuit.decodingTable(
            new ChannelInsertion(KrausChannel.amplitudeDamping(0.3), A, AFTER_ENCODING),
            new ChannelInsertion(KrausChannel.amplitudeDamping(0.6), B, BEFORE_ENCODING));
        final PauliChannel both = PauliChannel.amplitudeDampingBothHalves(0.3, 0.6);
        assertTrue(Math.abs(partial[0b01][0b01] - both.pI()) > 0.01,
            "error distribution depends on the message: the both-halves weights need A damped before encoding");
        assertTrue(Math.abs(partial[0b00][0b00] - partial[0b01][0b01]) > 0.01);
    }

    /**
     * The limit of the Pauli frames, measured: damping γ of a stored pair (both halves) followed by
     * damping γ′ of the flying half after encoding. The composed Pauli channel is exactly the average
     * over the four messages, but each message's error weights differ from it by up to γ·γ′/4 (spread
     * γ·γ′/2), which no Pauli channel reproduces: hence at most one damping stage per link.
     */
    @ParameterizedTest(name = "stored {0}, in flight {1}")
    @MethodSource("dampingPairs")
    void shouldMissEachMessageByGammaGammaPrimeOverFourWhenTheFlyingHalfDampsAfterADampedStoredPair(
        final double stored, final double inFlight)
    {
        final double[][] table = SuperdenseCodingCircuit.decodingTable(
            new ChannelInsertion(KrausChannel.amplitudeDamping(stored), A, BEFORE_ENCODING),
            new ChannelInsertion(KrausChannel.amplitudeDamping(stored), B, BEFORE_ENCODING),
            new ChannelInsertion(KrausChannel.amplitudeDamping(inFlight), A, AFTER_ENCODING));
        final PauliChannel composed = PauliChannel.amplitudeDampingBothHalves(stored, stored).then(PauliChannel.amplitudeDamping(inFlight));
        double largestGap = 0;
        for (int label = 0; label < BellStates.COUNT; label++)
        {
            double average = 0;
            for (int sent = 0; sent < SuperdenseCodingCircuit.MESSAGE_COUNT; sent++)
            {
                final double weight = table[sent][sent ^ label];
                average += weight / SuperdenseCodingCircuit.MESSAGE_COUNT;
                largestGap = Math.max(largestGap, Math.abs(weight - composed.weight(label)));
            }
            assertEquals(composed.weight(label), average, TOLERANCE, "the composition is the average over messages, label " + label);
        }
        assertEquals(stored * inFlight / 4, largestGap, TOLERANCE, "largest gap of one message's error weight");
    }

    @Test
    void shouldComposeChannelsOnTheSameHalfAsPauliThen()
    {
        final double[][] table = SuperdenseCodingCircuit.decodingTable(
            new ChannelInsertion(KrausChannel.depolarizing(0.1), A, AFTER_ENCODING),
            new ChannelInsertion(KrausChannel.dephasing(0.2), A, AFTER_ENCODING));
        assertPauliEquivalent(PauliChannel.depolarizing(0.1).then(PauliChannel.dephasing(0.2)), table, "depolarizing then dephasing");

        final double[][] composedKraus = SuperdenseCodingCircuit.decodingTable(
            new ChannelInsertion(KrausChannel.bitFlip(0.15).then(KrausChannel.depolarizing(0.4)), A, BEFORE_ENCODING));
        assertPauliEquivalent(PauliChannel.bitFlip(0.15).then(PauliChannel.depolarizing(0.4)), composedKraus, "Kraus then");
    }

    @Test
    void shouldComposeChannelsAcrossHalvesAndStagesAsPauliThen()
    {
        final double[][] pauliOnBoth = SuperdenseCodingCircuit.decodingTable(
            new ChannelInsertion(KrausChannel.bitFlip(0.12), A, BEFORE_ENCODING),
            new ChannelInsertion(KrausChannel.depolarizing(0.2), A, AFTER_ENCODING),
            new ChannelInsertion(KrausChannel.dephasing(0.3), B, AFTER_ENCODING));
        assertPauliEquivalent(
            PauliChannel.bitFlip(0.12).then(PauliChannel.depolarizing(0.2)).then(PauliChannel.dephasing(0.3)),
            pauliOnBoth, "Pauli channels on both halves");

        final double[][] dampedThenDepolarized = SuperdenseCodingCircuit.decodingTable(
            new ChannelInsertion(KrausChannel.amplitudeDamping(0.4), A, AFTER_ENCODING),
            new ChannelInsertion(KrausChannel.depolarizing(0.15), B, BEFORE_ENCODING));
        assertPauliEquivalent(PauliChannel.amplitudeDamping(0.4).then(PauliChannel.depolarizing(0.15)),
            dampedThenDepolarized, "damping on A, depolarizing on B");

        final double[][] storedThenFlying = SuperdenseCodingCircuit.decodingTable(
            new ChannelInsertion(KrausChannel.memory(2e-3, 4e-3, 5e-3), A, BEFORE_ENCODING),
            new ChannelInsertion(KrausChannel.depolarizing(0.01), A, AFTER_ENCODING));
        assertPauliEquivalent(PauliChannel.memory(2e-3, 4e-3, 5e-3).then(PauliChannel.depolarizing(0.01)),
            storedThenFlying, "memory then flight");
    }

    @Test
    void shouldEqualDampingThenPureDephasingForMemoryFactory()
    {
        final double t = 1.5e-3;
        final double t1 = 4e-3;
        final double t2 = 2.5e-3;
        final double q = -Math.expm1(-t * (1 / t2 - 1 / (2 * t1))) / 2;
        final PauliChannel composed = PauliChannel.amplitudeDamping(-Math.expm1(-t / t1)).then(PauliChannel.dephasing(q));
        final PauliChannel memory = PauliChannel.memory(t, t1, t2);
        assertEquals(composed.pX(), memory.pX(), TOLERANCE);
        assertEquals(composed.pY(), memory.pY(), TOLERANCE);
        assertEquals(composed.pZ(), memory.pZ(), TOLERANCE);
    }

    @Test
    void shouldActAsHalfDephasingForInterceptResendOnTheFlyingHalf()
    {
        final double[][] table = SuperdenseCodingCircuit.decodingTable(
            new ChannelInsertion(KrausChannel.interceptResendZ(), A, AFTER_ENCODING));
        assertPauliEquivalent(PauliChannel.dephasing(0.5), table, "intercept-resend");
        for (int sent = 0; sent < SuperdenseCodingCircuit.MESSAGE_COUNT; sent++)
        {
            assertEquals(0.5, table[sent][sent ^ PauliChannel.Z], TOLERANCE, "b1 is a coin flip, b2 intact");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("singleHalfChannels")
    void shouldMatchDenseCodingCapacityComputedFromExactTable(
        final String name, final KrausChannel channel, final PauliChannel expected)
    {
        final double[][] table = SuperdenseCodingCircuit.decodingTable(new ChannelInsertion(channel, A, AFTER_ENCODING));
        for (int sent = 0; sent < SuperdenseCodingCircuit.MESSAGE_COUNT; sent++)
        {
            final double capacity = 2 - ExactTables.entropyBits(table[sent]);
            assertEquals(capacity, expected.denseCodingCapacity(), TOLERANCE, name + " row " + sent);
        }
    }

    @Test
    void shouldBeatOneClassicalBitPerQubitOnlyAboveWernerFidelityThreshold()
    {
        double low = 0.5;
        double high = 0.99;
        for (int iteration = 0; iteration < 60; iteration++)
        {
            final double middle = (low + high) / 2;
            final double[] row = SuperdenseCodingCircuit.decodingTable(BellStates.werner(middle), List.of())[0];
            if (2 - ExactTables.entropyBits(row) < 1)
            {
                low = middle;
            }
            else
            {
                high = middle;
            }
        }
        assertEquals(0.8107, low, 5e-5, "DESIGN: capacity beats a classical bit only above F = 0.8107");
        assertEquals(1.0, PauliChannel.werner(low).denseCodingCapacity(), 1e-9);
    }
}
