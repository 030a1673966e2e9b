package io.qring.channel.exact;

import io.qring.channel.noise.PauliChannel;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KrausChannelTest
{
    private static final double TOLERANCE = 1e-12;

    @Test
    void shouldRejectIncompleteKrausSets()
    {
        assertThrows(IllegalArgumentException.class, () -> KrausChannel.of(Matrix2.IDENTITY.scale(0.9)));
        assertThrows(IllegalArgumentException.class, () -> KrausChannel.of(Matrix2.PROJECTOR_0));
        assertThrows(IllegalArgumentException.class, () -> KrausChannel.of(List.of()));
        assertTrue(assertThrows(IllegalArgumentException.class,
            () -> KrausChannel.of(Matrix2.PROJECTOR_0, Matrix2.PROJECTOR_1.scale(1 + 1e-11))).getMessage().contains("not complete"),
            "off by 2e-11");
        assertDoesNotThrow(() -> KrausChannel.of(Matrix2.PROJECTOR_0, Matrix2.PROJECTOR_1.scale(1 + 1e-14)));
    }

    @Test
    void shouldRejectInvalidParameters()
    {
        assertThrows(IllegalArgumentException.class, () -> KrausChannel.depolarizing(-0.1));
        assertThrows(IllegalArgumentException.class, () -> KrausChannel.depolarizing(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> KrausChannel.dephasing(1.5));
        assertThrows(IllegalArgumentException.class, () -> KrausChannel.bitFlip(-1e-9));
        assertThrows(IllegalArgumentException.class, () -> KrausChannel.amplitudeDamping(Double.NaN));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> KrausChannel.memory(1, 1, 2.5)).getMessage()
            .contains("exceeds 2*T1"), "T2 > 2 T1");
        assertThrows(IllegalArgumentException.class, () -> KrausChannel.memory(-1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> KrausChannel.memory(1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> KrausChannel.memory(Double.POSITIVE_INFINITY, 1, 1));
    }

    @Test
    void shouldActAsTheNamedPauliMixtures()
    {
        final DensityMatrix input = randomPureQubit();
        final double p = 0.27;
        final DensityMatrix expected = pauliMixture(input, 1 - p, p / 3, p / 3, p / 3);
        assertEquals(0.0, input.copy().apply(0, KrausChannel.depolarizing(p)).maxAbsDifference(expected), TOLERANCE);
        assertEquals(0.0, input.copy().apply(0, KrausChannel.dephasing(0.2))
            .maxAbsDifference(pauliMixture(input, 0.8, 0, 0, 0.2)), TOLERANCE);
        assertEquals(0.0, input.copy().apply(0, KrausChannel.bitFlip(0.35))
            .maxAbsDifference(pauliMixture(input, 0.65, 0.35, 0, 0)), TOLERANCE);
    }

    @Test
    void shouldActAsDephasingOneHalfForInterceptResend()
    {
        final DensityMatrix input = randomPureQubit();
        final DensityMatrix intercepted = input.copy().apply(0, KrausChannel.interceptResendZ());
        assertEquals(0.0, intercepted.maxAbsDifference(input.copy().apply(0, KrausChannel.dephasing(0.5))), TOLERANCE);
        assertEquals(0.0, intercepted.re(0, 1), TOLERANCE);
        assertEquals(0.0, intercepted.im(0, 1), TOLERANCE);
        assertEquals(input.re(1, 1), intercepted.re(1, 1), TOLERANCE);
    }

    @Test
    void shouldDecayExcitedPopulationForAmplitudeDamping()
    {
        final double gamma = 0.37;
        final DensityMatrix plus = DensityMatrix.pure(new StateVector(1).h(0)).apply(0, KrausChannel.amplitudeDamping(gamma));
        assertEquals(0.5 * (1 - gamma), plus.re(1, 1), TOLERANCE);
        assertEquals(0.5 * Math.sqrt(1 - gamma), plus.re(0, 1), TOLERANCE);
        assertEquals(1.0, plus.trace(), TOLERANCE);
    }

    @Test
    void shouldDecayPopulationWithT1AndCoherenceWithT2InMemory()
    {
        final double[][] cases = { { 1e-3, 5e-3, 3e-3 }, { 2e-3, 1e-3, 2e-3 }, { 0.01, 0.02, 0.005 }, { 0, 1, 1 } };
        for (final double[] c : cases)
        {
            final double t = c[0];
            final double t1 = c[1];
            final double t2 = c[2];
            final DensityMatrix excited = DensityMatrix.pure(StateVector.basisState(1, 1)).apply(0, KrausChannel.memory(t, t1, t2));
            assertEquals(Math.exp(-t / t1), excited.re(1, 1), TOLERANCE, "T1 decay");
            final DensityMatrix plus = DensityMatrix.pure(new StateVector(1).h(0)).apply(0, KrausChannel.memory(t, t1, t2));
            assertEquals(0.5 * Math.exp(-t / t2), plus.re(0, 1), TOLERANCE, "T2 decay of coherence");
            assertEquals(0.0, plus.im(0, 1), TOLERANCE);
        }
    }

    @Test
    void shouldDecayCoherenceWithT2ForPureDephasingFactory()
    {
        final double t = 3e-3;
        final double t2 = 7e-3;
        final double q = PauliChannel.t2Dephasing(t, t2).pZ();
        final DensityMatrix plus = DensityMatrix.pure(new StateVector(1).h(0)).apply(0, KrausChannel.dephasing(q));
        assertEquals(0.5 * Math.exp(-t / t2), plus.re(0, 1), TOLERANCE);
    }

    @Test
    void shouldComposeInOrder()
    {
        final DensityMatrix input = randomPureQubit();
        final KrausChannel first = KrausChannel.amplitudeDamping(0.4);
        final KrausChannel second = KrausChannel.unitary(Matrix2.HADAMARD);
        final DensityMatrix sequential = input.copy().apply(0, first).apply(0, second);
        assertEquals(0.0, input.copy().apply(0, first.then(second)).maxAbsDifference(sequential), TOLERANCE);
        final DensityMatrix reversed = input.copy().apply(0, second).apply(0, first);
        assertTrue(reversed.maxAbsDifference(sequential) > 0.01, "order matters for non-commuting channels");
    }

    private static DensityMatrix randomPureQubit()
    {
        return DensityMatrix.pure(new StateVector(1).apply(0, Matrix2.u3(1.1, 0.4, 2.3)));
    }

    private static DensityMatrix pauliMixture(
        final DensityMatrix input, final double pI, final double pX, final double pY, final double pZ)
    {
        final DensityMatrix x = input.copy().x(0);
        final DensityMatrix y = input.copy().y(0);
        final DensityMatrix z = input.copy().z(0);
        final double[] re = new double[4];
        final double[] im = new double[4];
        for (int row = 0; row < 2; row++)
        {
            for (int column = 0; column < 2; column++)
            {
                re[2 * row + column] = pI * input.re(row, column) + pX * x.re(row, column) + pY * y.re(row, column) +
                    pZ * z.re(row, column);
                im[2 * row + column] = pI * input.im(row, column) + pX * x.im(row, column) + pY * y.im(row, column) +
                    pZ * z.im(row, column);
            }
        }
        return DensityMatrix.of(1, re, im);
    }
}
