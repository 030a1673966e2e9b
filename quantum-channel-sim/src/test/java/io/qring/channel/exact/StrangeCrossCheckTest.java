package io.qring.channel.exact;

import org.junit.jupiter.api.Test;
import org.redfx.strange.Complex;
import org.redfx.strange.Gate;
import org.redfx.strange.Program;
import org.redfx.strange.Result;
import org.redfx.strange.Step;
import org.redfx.strange.gate.Cnot;
import org.redfx.strange.gate.Hadamard;
import org.redfx.strange.gate.X;
import org.redfx.strange.gate.Y;
import org.redfx.strange.gate.Z;
import org.redfx.strange.local.SimpleQuantumExecutionEnvironment;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Independent second opinion from Strange (org.redfx:strange) on noiseless circuits. Strange stores
 * amplitudes as floats, so agreement is asserted to {@link #FLOAT_TOLERANCE}. Both simulators put
 * qubit q at bit q of the basis index.
 */
class StrangeCrossCheckTest
{
    private static final double FLOAT_TOLERANCE = 1e-6;

    @Test
    void shouldDecodeEveryMessageWithCertaintyInStrangeAndAgreeWithExactChecker()
    {
        final int a = PairHalf.A.qubit();
        final int b = PairHalf.B.qubit();
        for (int message = 0; message < SuperdenseCodingCircuit.MESSAGE_COUNT; message++)
        {
            final List<Gate> gates = new ArrayList<>(List.of(new Hadamard(a), new Cnot(a, b)));
            if ((message & 1) != 0)
            {
                gates.add(new X(a));
            }
            if ((message & 2) != 0)
            {
                gates.add(new Z(a));
            }
            gates.add(new Cnot(a, b));
            gates.add(new Hadamard(a));

            final Result result = run(2, gates);
            final int expectedIndex = SuperdenseCodingCircuit.basisIndexOf(message);
            final Complex[] amplitudes = result.getProbability();
            assertEquals(1.0, amplitudes[expectedIndex].abssqr(), FLOAT_TOLERANCE, "Strange decodes message " + message);
            assertAgree(SuperdenseCodingCircuit.noiselessFinalState(message), amplitudes);

            result.measureSystem();
            assertEquals(message, SuperdenseCodingCircuit.symbolOf(result.getMeasuredProbability()), "measured symbol");
            assertEquals(message >>> 1, result.getQubits()[a].measure(), "A measures b1");
            assertEquals(message & 1, result.getQubits()[b].measure(), "B measures b2");
        }
    }

    @Test
    void shouldAgreeWithStrangeOnSeededCliffordCircuit()
    {
        final int qubits = 4;
        final SplittableRandom random = new SplittableRandom(42L);
        final List<Gate> gates = new ArrayList<>();
        final StateVector exact = new StateVector(qubits);
        for (int step = 0; step < 40; step++)
        {
            final int qubit = random.nextInt(qubits);
            switch (random.nextInt(5))
            {
                case 0 ->
                {
                    gates.add(new Hadamard(qubit));
                    exact.h(qubit);
                }
                case 1 ->
                {
                    gates.add(new X(qubit));
                    exact.x(qubit);
                }
                case 2 ->
                {
                    gates.add(new Y(qubit));
                    exact.y(qubit);
                }
                case 3 ->
                {
                    gates.add(new Z(qubit));
                    exact.z(qubit);
                }
                default ->
                {
                    final int target = (qubit + 1 + random.nextInt(qubits - 1)) % qubits;
                    gates.add(new Cnot(qubit, target));
                    exact.cnot(qubit, target);
                }
            }
        }
        assertAgree(exact, run(qubits, gates).getProbability());
    }

    private static Result run(final int qubits, final List<Gate> gates)
    {
        final Program program = new Program(qubits);
        for (final Gate gate : gates)
        {
            program.addStep(new Step(gate));
        }
        return new SimpleQuantumExecutionEnvironment().runProgram(program);
    }

    private static void assertAgree(final StateVector exact, final Complex[] strangeAmplitudes)
    {
        assertEquals(exact.dimension(), strangeAmplitudes.length);
        for (int index = 0; index < exact.dimension(); index++)
        {
            assertEquals(exact.re(index), strangeAmplitudes[index].r, FLOAT_TOLERANCE, "Re amplitude " + index);
            assertEquals(exact.im(index), strangeAmplitudes[index].i, FLOAT_TOLERANCE, "Im amplitude " + index);
        }
    }
}
