package io.qring.channel.exact;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExactSimulatorTest
{
    private static final double TOLERANCE = 1e-12;
    private static final double INV_SQRT2 = 1 / Math.sqrt(2);

    @Test
    void shouldApplySingleQubitGatesWithStandardMatrices()
    {
        final StateVector y = new StateVector(1).y(0);
        assertAmplitude(y, 1, 0, 1);
        assertAmplitude(y, 0, 0, 0);

        final StateVector s = StateVector.basisState(1, 1).s(0);
        assertAmplitude(s, 1, 0, 1);

        final StateVector plus = new StateVector(1).h(0);
        assertAmplitude(plus, 0, INV_SQRT2, 0);
        assertAmplitude(plus, 1, INV_SQRT2, 0);

        final StateVector hzh = new StateVector(1).h(0).z(0).h(0);
        assertAmplitude(hzh, 1, 1, 0);

        final StateVector ss = new StateVector(1).h(0).s(0).s(0).h(0);
        assertAmplitude(ss, 1, 1, 0);
    }

    @Test
    void shouldApplyCnotForEveryControlAndTargetOnEveryBasisState()
    {
        for (int control = 0; control < 3; control++)
        {
            for (int target = 0; target < 3; target++)
            {
                if (control == target)
                {
                    continue;
                }
                for (int index = 0; index < 8; index++)
                {
                    final int expected = ((index >>> control) & 1) == 1 ? index ^ (1 << target) : index;
                    final StateVector state = StateVector.basisState(3, index).cnot(control, target);
                    assertEquals(1.0, state.probability(expected), TOLERANCE, "CNOT(" + control + "," + target + ") on " + index);
                }
            }
        }
    }

    @Test
    void shouldPrepareBellPairWithHadamardAndCnot()
    {
        final StateVector pair = new StateVector(2).h(0).cnot(0, 1);
        assertAmplitude(pair, 0b00, INV_SQRT2, 0);
        assertAmplitude(pair, 0b11, INV_SQRT2, 0);
        assertEquals(0.0, pair.probability(0b01), TOLERANCE);
        assertEquals(0.0, pair.probability(0b10), TOLERANCE);
        assertEquals(0.5, pair.probability(1, 1), TOLERANCE);
    }

    @Test
    void shouldMatchGeneralUnitaryToNamedGates()
    {
        assertEquals(0.0, Matrix2.u3(Math.PI / 2, 0, Math.PI).maxAbsDifference(Matrix2.HADAMARD), TOLERANCE);
        assertEquals(0.0, Matrix2.u3(Math.PI, 0, Math.PI).maxAbsDifference(Matrix2.PAULI_X), TOLERANCE);
        assertEquals(0.0, Matrix2.u3(0, 0, Math.PI / 2).maxAbsDifference(Matrix2.PHASE_S), TOLERANCE);
        final Matrix2 iTimesIdentity = Matrix2.of(0, 1, 0, 0, 0, 0, 0, 1);
        assertEquals(0.0, Matrix2.PAULI_Z.times(Matrix2.PAULI_X).maxAbsDifference(Matrix2.PAULI_Y.times(iTimesIdentity)),
            TOLERANCE, "ZX = iY");
    }

    @Test
    void shouldEvolveDensityMatrixExactlyLikeStateVector()
    {
        final SplittableRandom random = new SplittableRandom(20240611L);
        final int qubits = 4;
        final StateVector vector = new StateVector(qubits);
        final DensityMatrix matrix = DensityMatrix.zeroState(qubits);
        for (int step = 0; step < 80; step++)
        {
            final int qubit = random.nextInt(qubits);
            switch (random.nextInt(7))
            {
                case 0 ->
                {
                    vector.h(qubit);
                    matrix.h(qubit);
                }
                case 1 ->
                {
                    vector.s(qubit);
                    matrix.s(qubit);
                }
                case 2 ->
                {
                    vector.y(qubit);
                    matrix.y(qubit);
                }
                case 3 ->
                {
                    vector.x(qubit).z(qubit);
                    matrix.x(qubit).z(qubit);
                }
                case 4 ->
                {
                    final Matrix2 unitary = Matrix2.u3(
                        random.nextDouble(Math.PI), random.nextDouble(2 * Math.PI), random.nextDouble(2 * Math.PI));
                    vector.apply(qubit, unitary);
                    matrix.apply(qubit, unitary);
                }
                default ->
                {
                    final int target = (qubit + 1 + random.nextInt(qubits - 1)) % qubits;
                    vector.cnot(qubit, target);
                    matrix.cnot(qubit, target);
                }
            }
        }
        assertEquals(1.0, vector.normSquared(), TOLERANCE);
        assertEquals(1.0, matrix.trace(), TOLERANCE);
        assertEquals(0.0, matrix.maxAbsDifference(DensityMatrix.pure(vector)), TOLERANCE);
        assertEquals(1.0, matrix.fidelity(vector), TOLERANCE);
        for (int qubit = 0; qubit < qubits; qubit++)
        {
            assertEquals(vector.probability(qubit, 1), matrix.probability(qubit, 1), TOLERANCE);
        }
    }

    @Test
    void shouldSampleMeasurementOutcomesWithBornProbabilities()
    {
        final double probabilityOfOne = 0.3;
        final Matrix2 rotation = Matrix2.u3(2 * Math.asin(Math.sqrt(probabilityOfOne)), 0.7, 1.1);
        final SplittableRandom random = new SplittableRandom(7L);
        final int trials = 100_000;
        int ones = 0;
        for (int trial = 0; trial < trials; trial++)
        {
            final StateVector state = new StateVector(1).apply(0, rotation);
            ones += state.measure(0, random);
        }
        final double sigma = Math.sqrt(trials * probabilityOfOne * (1 - probabilityOfOne));
        assertEquals(trials * probabilityOfOne, ones, 5 * sigma, "binomial 5-sigma bound");
    }

    @Test
    void shouldCollapseEntangledStateOnMeasurement()
    {
        final SplittableRandom random = new SplittableRandom(11L);
        for (int trial = 0; trial < 64; trial++)
        {
            final StateVector ghz = new StateVector(3).h(0).cnot(0, 1).cnot(1, 2);
            final int first = ghz.measure(0, random);
            assertEquals(1.0, ghz.normSquared(), TOLERANCE);
            assertEquals(1.0, ghz.probability(1, first), TOLERANCE);
            assertEquals(1.0, ghz.probability(2, first), TOLERANCE);
            assertEquals(first, ghz.measure(2, random));
        }
    }

    @Test
    void shouldRejectInvalidInput()
    {
        assertThrows(IllegalArgumentException.class, () -> new StateVector(0));
        assertThrows(IllegalArgumentException.class, () -> new StateVector(StateVector.MAX_QUBITS + 1));
        assertThrows(IllegalArgumentException.class, () -> DensityMatrix.zeroState(DensityMatrix.MAX_QUBITS + 1));
        assertThrows(IllegalArgumentException.class, () -> new StateVector(1).apply(0, Matrix2.PROJECTOR_0));
        assertThrows(IllegalArgumentException.class, () -> DensityMatrix.zeroState(1).apply(0, Matrix2.LOWERING));
        assertThrows(IllegalArgumentException.class, () -> new StateVector(2).cnot(1, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> new StateVector(2).h(2));
        assertThrows(IndexOutOfBoundsException.class, () -> DensityMatrix.zeroState(2).x(-1));
        assertThrows(IllegalArgumentException.class, () -> new StateVector(1).probability(0, 2));
        assertThrows(IllegalArgumentException.class, () -> Matrix2.real(Double.NaN, 0, 0, 1));
        assertTrue(assertThrows(IllegalArgumentException.class,
            () -> DensityMatrix.of(1, new double[]{ 0.5, 0.1, 0.2, 0.5 }, new double[4])).getMessage().contains("not Hermitian"));
        assertTrue(assertThrows(IllegalArgumentException.class,
            () -> DensityMatrix.of(1, new double[]{ 0.5, 0, 0, 0.6 }, new double[4])).getMessage().contains("trace is 1.1"));
        assertThrows(IllegalArgumentException.class,
            () -> DensityMatrix.mixture(new double[]{ 0.5, 0.6 }, new StateVector(1), new StateVector(1)));
    }

    private static void assertAmplitude(final StateVector state, final int index, final double re, final double im)
    {
        assertEquals(re, state.re(index), TOLERANCE, "Re amplitude " + index);
        assertEquals(im, state.im(index), TOLERANCE, "Im amplitude " + index);
    }
}
