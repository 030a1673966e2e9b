package io.qring.channel.exact;

import io.qring.channel.noise.PauliChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static io.qring.channel.exact.ExactTables.TOLERANCE;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves the verification statistics exactly: measuring both halves of a noisy pair in Z, the
 * mismatch probability is the channel's b2-flip (X-component) probability pX + pY; in X it is the
 * b1-flip (Z-component) probability pZ + pY.
 */
class BellPairVerificationExactTest
{
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.qring.channel.exact.SuperdenseCodingExactTest#singleHalfChannels")
    void shouldMatchFlipProbabilitiesOfChannelOnEitherHalf(
        final String name, final KrausChannel channel, final PauliChannel expected)
    {
        for (final PairHalf half : PairHalf.values())
        {
            final DensityMatrix pair = BellStates.phiPlus().apply(half.qubit(), channel);
            assertMismatches(expected, pair, name + " on " + half);
        }
    }

    @Test
    void shouldMatchFlipProbabilitiesOfWernerPairs()
    {
        for (final double fidelity : new double[]{ 0.25, 0.6, 0.9, 1.0 })
        {
            assertMismatches(PauliChannel.werner(fidelity), BellStates.werner(fidelity), "Werner F=" + fidelity);
        }
    }

    @Test
    void shouldMatchFlipProbabilitiesOfPairDampedOnBothHalves()
    {
        assertMismatches(PauliChannel.amplitudeDampingBothHalves(0.25, 0.6), BellStates.amplitudeDampedPhiPlus(0.25, 0.6),
            "both halves damped");
    }

    @Test
    void shouldMatchFlipProbabilitiesOfComposedChannels()
    {
        final DensityMatrix pair = BellStates.phiPlus()
            .apply(PairHalf.A.qubit(), KrausChannel.amplitudeDamping(0.2))
            .apply(PairHalf.B.qubit(), KrausChannel.bitFlip(0.1))
            .apply(PairHalf.B.qubit(), KrausChannel.dephasing(0.05));
        final PauliChannel expected = PauliChannel.amplitudeDamping(0.2)
            .then(PauliChannel.bitFlip(0.1))
            .then(PauliChannel.dephasing(0.05));
        assertMismatches(expected, pair, "damping on A, bit flip and dephasing on B");
    }

    @Test
    void shouldRevealInterceptResendInXBasisOnly()
    {
        final DensityMatrix intercepted = BellStates.phiPlus().apply(PairHalf.A.qubit(), KrausChannel.interceptResendZ());
        assertEquals(0.0, BellStates.mismatchProbability(intercepted, MeasurementBasis.Z), TOLERANCE);
        assertEquals(0.5, BellStates.mismatchProbability(intercepted, MeasurementBasis.X), TOLERANCE);
        assertEquals(0.0, BellStates.mismatchProbability(BellStates.phiPlus(), MeasurementBasis.X), TOLERANCE);
    }

    private static void assertMismatches(final PauliChannel expected, final DensityMatrix pair, final String context)
    {
        assertEquals(expected.b2FlipProbability(), BellStates.mismatchProbability(pair, MeasurementBasis.Z), TOLERANCE,
            context + ": Z-basis mismatch = pX + pY");
        assertEquals(expected.b1FlipProbability(), BellStates.mismatchProbability(pair, MeasurementBasis.X), TOLERANCE,
            context + ": X-basis mismatch = pZ + pY");
    }
}
