package io.qring.channel.noise;

import org.apache.commons.math3.analysis.solvers.BrentSolver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PauliChannelTest
{
    private static final double EXACT = 1e-15;

    @Test
    void shouldRejectBadProbabilitiesNamingTheCause()
    {
        assertAll(
            () -> assertRejected(() -> new PauliChannel(-0.1, 0, 0), "pX"),
            () -> assertRejected(() -> new PauliChannel(0, Double.NaN, 0), "pY"),
            () -> assertRejected(() -> new PauliChannel(0, 0, 1.5), "pZ"),
            () -> assertRejected(() -> new PauliChannel(0.5, 0.3, 0.3), "sum"),
            () -> assertRejected(() -> PauliChannel.depolarizing(-1e-3), "depolarizing"),
            () -> assertRejected(() -> PauliChannel.depolarizing(Double.NaN), "depolarizing"),
            () -> assertRejected(() -> PauliChannel.dephasing(1.01), "dephasing"),
            () -> assertRejected(() -> PauliChannel.bitFlip(-0.5), "bit flip"),
            () -> assertRejected(() -> PauliChannel.amplitudeDamping(Double.NaN), "gamma"),
            () -> assertRejected(() -> PauliChannel.amplitudeDampingBothHalves(0.1, 2), "gamma2"),
            () -> assertRejected(() -> PauliChannel.werner(0.2), "Werner fidelity"),
            () -> assertRejected(() -> PauliChannel.werner(1.01), "Werner fidelity"),
            () -> assertRejected(() -> PauliChannel.werner(Double.NaN), "Werner fidelity"),
            () -> assertRejected(() -> PauliChannel.memory(1, 1, 2.5), "T2"),
            () -> assertRejected(() -> PauliChannel.memory(-1, 1, 1), "storage time"),
            () -> assertRejected(() -> PauliChannel.memory(1, 0, 1), "T1"),
            () -> assertRejected(() -> PauliChannel.t2Dephasing(1, Double.POSITIVE_INFINITY), "T2"));
    }

    @Test
    void shouldAcceptBoundaryValues()
    {
        assertEquals(new PauliChannel(0.25, 0.25, 0.25), PauliChannel.werner(0.25));
        assertEquals(PauliChannel.NOISELESS, PauliChannel.werner(1));
        assertEquals(PauliChannel.NOISELESS, PauliChannel.memory(0, 1, 2));
        final PauliChannel pureDamping = PauliChannel.memory(0.7, 1, 2);
        assertEquals(PauliChannel.amplitudeDamping(1 - Math.exp(-0.7)).pZ(), pureDamping.pZ(), 1e-15);
        assertEquals(1.0, PauliChannel.dephasing(1).pZ());
    }

    @Test
    void shouldGiveTheDesignTableWeights()
    {
        final double gamma = 0.3;
        final double root = 1 - Math.sqrt(1 - gamma);
        final double t = 0.4;
        final double t1 = 1.5;
        final double t2 = 0.9;
        final double memoryGamma = 1 - Math.exp(-t / t1);
        assertAll(
            () -> assertChannel(PauliChannel.depolarizing(0.03), 0.01, 0.01, 0.01),
            () -> assertChannel(PauliChannel.dephasing(0.2), 0, 0, 0.2),
            () -> assertChannel(PauliChannel.t2Dephasing(t, t2), 0, 0, (1 - Math.exp(-t / t2)) / 2),
            () -> assertChannel(PauliChannel.bitFlip(0.2), 0.2, 0, 0),
            () -> assertChannel(PauliChannel.amplitudeDamping(gamma), gamma / 4, gamma / 4, root * root / 4),
            () -> assertChannel(PauliChannel.memory(t, t1, t2), memoryGamma / 4, memoryGamma / 4,
                (1 - Math.exp(-t / t2)) / 2 - memoryGamma / 4),
            () -> assertChannel(PauliChannel.werner(0.91), 0.03, 0.03, 0.03));
    }

    @Test
    void shouldGiveTheExactBothHalvesDampingBellWeights()
    {
        final double g1 = 0.2;
        final double g2 = 0.35;
        final PauliChannel both = PauliChannel.amplitudeDampingBothHalves(g1, g2);
        final double common = 2 - g1 - g2 + 2 * g1 * g2;
        final double cross = 2 * Math.sqrt((1 - g1) * (1 - g2));
        assertEquals((common + cross) / 4, both.pI(), 1e-15);
        assertEquals((common - cross) / 4, both.pZ(), 1e-15);
        assertEquals((g1 * (1 - g2) + g2 * (1 - g1)) / 4, both.pX(), 1e-15);
        assertEquals(both.pX(), both.pY(), EXACT);
    }

    @Test
    void shouldReduceBothHalvesDampingToSingleHalfDampingWhenOneHalfIsPerfect()
    {
        for (final double gamma : new double[] {0, 0.01, 0.3, 0.9, 1})
        {
            final PauliChannel one = PauliChannel.amplitudeDamping(gamma);
            final PauliChannel both = PauliChannel.amplitudeDampingBothHalves(gamma, 0);
            assertChannel(both, one.pX(), one.pY(), one.pZ());
        }
    }

    @Test
    void shouldComposeByConvolvingLabelsOverTheKleinGroup()
    {
        final PauliChannel a = new PauliChannel(0.1, 0.02, 0.05);
        final PauliChannel b = new PauliChannel(0.03, 0.07, 0.2);
        final PauliChannel c = a.then(b);
        final double aI = a.pI();
        final double bI = b.pI();
        assertChannel(c,
            aI * b.pX() + a.pX() * bI + a.pY() * b.pZ() + a.pZ() * b.pY(),
            aI * b.pY() + a.pY() * bI + a.pX() * b.pZ() + a.pZ() * b.pX(),
            aI * b.pZ() + a.pZ() * bI + a.pX() * b.pY() + a.pY() * b.pX());
        assertChannel(a.then(PauliChannel.NOISELESS), a.pX(), a.pY(), a.pZ());
        assertChannel(b.then(a), c.pX(), c.pY(), c.pZ());
    }

    @Test
    void shouldRememberDampingThroughComposition()
    {
        assertAll(
            () -> assertTrue(PauliChannel.amplitudeDamping(0.1).fromDamping()),
            () -> assertTrue(PauliChannel.amplitudeDampingBothHalves(0, 0.2).fromDamping()),
            () -> assertTrue(PauliChannel.memory(0.5, 1, 1).fromDamping()),
            () -> assertTrue(PauliChannel.werner(0.9).then(PauliChannel.amplitudeDamping(0.1)).fromDamping()),
            () -> assertTrue(PauliChannel.amplitudeDamping(0.1).then(PauliChannel.dephasing(0.2)).fromDamping()),
            () -> assertFalse(PauliChannel.amplitudeDamping(0).fromDamping(), "gamma 0 damps nothing"),
            () -> assertFalse(PauliChannel.memory(0, 1, 1).fromDamping(), "no storage, no damping"),
            () -> assertFalse(PauliChannel.depolarizing(0.1).then(PauliChannel.werner(0.9)).fromDamping()),
            () -> assertFalse(new PauliChannel(0.05, 0.05, 0.01).fromDamping()));
    }

    @Test
    void shouldComposeTwoDephasingsIntoOne()
    {
        final double q1 = 0.1;
        final double q2 = 0.25;
        assertChannel(PauliChannel.dephasing(q1).then(PauliChannel.dephasing(q2)), 0, 0, q1 * (1 - q2) + q2 * (1 - q1));
        assertChannel(PauliChannel.bitFlip(0.5).then(PauliChannel.bitFlip(0.3)), 0.5, 0, 0);
    }

    @Test
    void shouldGiveDecodedBitFlipProbabilities()
    {
        final PauliChannel c = new PauliChannel(0.1, 0.02, 0.05);
        assertEquals(0.07, c.b1FlipProbability(), 1e-15);
        assertEquals(0.12, c.b2FlipProbability(), 1e-15);
        assertEquals(0.17, c.symbolErrorProbability(), 1e-15);
        assertEquals(0.83, c.weight(0), 1e-15);
        assertEquals(0.1, c.weight(PauliChannel.X));
        assertEquals(0.05, c.weight(PauliChannel.Z));
        assertEquals(0.02, c.weight(PauliChannel.Y));
        assertRejected(() -> c.weight(4), "label");
    }

    @Test
    void shouldGiveDenseCodingCapacityTwoMinusEntropy()
    {
        assertEquals(2.0, PauliChannel.NOISELESS.denseCodingCapacity(), EXACT);
        assertEquals(0.0, PauliChannel.werner(0.25).denseCodingCapacity(), 1e-15);
        assertEquals(1.0, PauliChannel.dephasing(0.5).denseCodingCapacity(), 1e-15);
        assertEquals(1.0, PauliChannel.bitFlip(0.5).denseCodingCapacity(), 1e-15);
        final double p = 0.01;
        final double expected = 2 + (1 - p) * log2(1 - p) + 3 * (p / 3) * log2(p / 3);
        assertEquals(expected, PauliChannel.depolarizing(p).denseCodingCapacity(), 1e-14);
    }

    @Test
    void shouldCrossOneBitPerQubitNearWernerFidelity08107()
    {
        final double crossing = new BrentSolver(1e-12).solve(200, f -> PauliChannel.werner(f).denseCodingCapacity() - 1, 0.5, 1);
        assertEquals(0.8107, crossing, 1e-4);
        assertTrue(PauliChannel.werner(0.80).denseCodingCapacity() < 1);
        assertTrue(PauliChannel.werner(0.82).denseCodingCapacity() > 1);
    }

    private static double log2(final double x)
    {
        return Math.log(x) / Math.log(2);
    }

    private static void assertChannel(final PauliChannel channel, final double pX, final double pY, final double pZ)
    {
        assertEquals(pX, channel.pX(), 1e-15, "pX of " + channel);
        assertEquals(pY, channel.pY(), 1e-15, "pY of " + channel);
        assertEquals(pZ, channel.pZ(), 1e-15, "pZ of " + channel);
    }

    private static void assertRejected(final Executable executable, final String cause)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, executable);
        assertTrue(ex.getMessage().contains(cause), "message '" + ex.getMessage() + "' should name " + cause);
    }
}
