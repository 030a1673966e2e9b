package io.qring.channel.exact;

import java.util.random.RandomGenerator;

/**
 * A dense pure state of up to {@link #MAX_QUBITS} qubits: 2^n complex amplitudes in two
 * {@code double[]} arrays. Qubit q is bit q of the basis index (qubit 0 least significant, the
 * convention of Strange). Gates mutate the state in place and return it for chaining. Not
 * thread-safe.
 */
public final class StateVector
{
    /** Largest register this simulator accepts (2^16 amplitudes). */
    public static final int MAX_QUBITS = 16;

    /** Largest entry-wise deviation of U†U from I accepted for a gate. */
    public static final double UNITARITY_TOLERANCE = 1e-12;

    private final int qubitCount;
    private final double[] re;
    private final double[] im;

    /**
     * The all-zero state |0…0⟩.
     *
     * @param qubitCount number of qubits, 1..{@link #MAX_QUBITS}.
     */
    public StateVector(final int qubitCount)
    {
        this(qubitCount, 0);
    }

    private StateVector(final int qubitCount, final int basisIndex)
    {
        requireQubitCount(qubitCount, MAX_QUBITS);
        final int dimension = 1 << qubitCount;
        if (basisIndex < 0 || basisIndex >= dimension)
        {
            throw new IllegalArgumentException("basis index " + basisIndex + " outside [0, " + dimension + ")");
        }
        this.qubitCount = qubitCount;
        this.re = new double[dimension];
        this.im = new double[dimension];
        this.re[basisIndex] = 1;
    }

    private StateVector(final StateVector source)
    {
        this.qubitCount = source.qubitCount;
        this.re = source.re.clone();
        this.im = source.im.clone();
    }

    /**
     * A computational basis state |index⟩.
     *
     * @param qubitCount number of qubits, 1..{@link #MAX_QUBITS}.
     * @param basisIndex the index, bit q holding qubit q.
     * @return the state.
     */
    public static StateVector basisState(final int qubitCount, final int basisIndex)
    {
        return new StateVector(qubitCount, basisIndex);
    }

    /** @return an independent copy of this state. */
    public StateVector copy()
    {
        return new StateVector(this);
    }

    /** @return number of qubits n. */
    public int qubitCount()
    {
        return qubitCount;
    }

    /** @return number of amplitudes 2^n. */
    public int dimension()
    {
        return re.length;
    }

    /**
     * @param basisIndex basis index.
     * @return real part of its amplitude.
     */
    public double re(final int basisIndex)
    {
        return re[basisIndex];
    }

    /**
     * @param basisIndex basis index.
     * @return imaginary part of its amplitude.
     */
    public double im(final int basisIndex)
    {
        return im[basisIndex];
    }

    /**
     * Applies a single-qubit unitary.
     *
     * @param qubit   target qubit.
     * @param unitary the gate.
     * @return this state.
     * @throws IllegalArgumentException if the gate is not unitary within {@link #UNITARITY_TOLERANCE}.
     */
    public StateVector apply(final int qubit, final Matrix2 unitary)
    {
        requireQubit(qubit);
        if (!unitary.isUnitary(UNITARITY_TOLERANCE))
        {
            throw new IllegalArgumentException("gate is not unitary: " + unitary);
        }
        applyToPairs(re, im, 0, 1, re.length, 1 << qubit, unitary);
        return this;
    }

    /**
     * @param qubit target qubit.
     * @return this state after a Hadamard on the qubit.
     */
    public StateVector h(final int qubit)
    {
        return apply(qubit, Matrix2.HADAMARD);
    }

    /**
     * @param qubit target qubit.
     * @return this state after Pauli X on the qubit.
     */
    public StateVector x(final int qubit)
    {
        return apply(qubit, Matrix2.PAULI_X);
    }

    /**
     * @param qubit target qubit.
     * @return this state after Pauli Y on the qubit.
     */
    public StateVector y(final int qubit)
    {
        return apply(qubit, Matrix2.PAULI_Y);
    }

    /**
     * @param qubit target qubit.
     * @return this state after Pauli Z on the qubit.
     */
    public StateVector z(final int qubit)
    {
        return apply(qubit, Matrix2.PAULI_Z);
    }

    /**
     * @param qubit target qubit.
     * @return this state after the phase gate S on the qubit.
     */
    public StateVector s(final int qubit)
    {
        return apply(qubit, Matrix2.PHASE_S);
    }

    /**
     * Controlled NOT: flips the target where the control is 1.
     *
     * @param control control qubit.
     * @param target  target qubit, different from the control.
     * @return this state.
     */
    public StateVector cnot(final int control, final int target)
    {
        requireQubit(control);
        requireQubit(target);
        if (control == target)
        {
            throw new IllegalArgumentException("CNOT control and target must differ, both are " + control);
        }
        final int controlMask = 1 << control;
        final int targetMask = 1 << target;
        for (int index = 0; index < re.length; index++)
        {
            if ((index & controlMask) != 0 && (index & targetMask) == 0)
            {
                final int partner = index | targetMask;
                swap(re, index, partner);
                swap(im, index, partner);
            }
        }
        return this;
    }

    /**
     * @param basisIndex basis index.
     * @return the Born probability |amplitude|² of that outcome.
     */
    public double probability(final int basisIndex)
    {
        return re[basisIndex] * re[basisIndex] + im[basisIndex] * im[basisIndex];
    }

    /**
     * @param qubit   measured qubit.
     * @param outcome 0 or 1.
     * @return probability that measuring the qubit in Z yields the outcome.
     */
    public double probability(final int qubit, final int outcome)
    {
        requireQubit(qubit);
        requireOutcome(outcome);
        final int mask = 1 << qubit;
        double sum = 0;
        for (int index = 0; index < re.length; index++)
        {
            if (((index & mask) != 0) == (outcome == 1))
            {
                sum += probability(index);
            }
        }
        return sum;
    }

    /** @return the squared norm Σ|amplitude|², 1 for a valid state. */
    public double normSquared()
    {
        double sum = 0;
        for (int index = 0; index < re.length; index++)
        {
            sum += probability(index);
        }
        return sum;
    }

    /**
     * Projective measurement of one qubit in Z: draws the outcome with its Born probability,
     * collapses the state onto it and renormalises.
     *
     * @param qubit  measured qubit.
     * @param random source of the draw (seed it for reproducibility).
     * @return the outcome, 0 or 1.
     */
    public int measure(final int qubit, final RandomGenerator random)
    {
        final double probabilityOfOne = probability(qubit, 1);
        final int outcome = random.nextDouble() < probabilityOfOne ? 1 : 0;
        final double scale = 1 / Math.sqrt(outcome == 1 ? probabilityOfOne : 1 - probabilityOfOne);
        final int mask = 1 << qubit;
        for (int index = 0; index < re.length; index++)
        {
            if (((index & mask) != 0) == (outcome == 1))
            {
                re[index] *= scale;
                im[index] *= scale;
            }
            else
            {
                re[index] = 0;
                im[index] = 0;
            }
        }
        return outcome;
    }

    /**
     * Applies a 2x2 operator to every pair of entries {@code (offset + i·stride, offset + (i|bit)·stride)}
     * with bit clear in i, for i in [0, count): the single-qubit action on vectors and on rows or
     * columns of density matrices.
     */
    static void applyToPairs(
        final double[] re, final double[] im, final int offset, final int stride, final int count, final int bit,
        final Matrix2 operator)
    {
        final double re00 = operator.re(0, 0);
        final double im00 = operator.im(0, 0);
        final double re01 = operator.re(0, 1);
        final double im01 = operator.im(0, 1);
        final double re10 = operator.re(1, 0);
        final double im10 = operator.im(1, 0);
        final double re11 = operator.re(1, 1);
        final double im11 = operator.im(1, 1);
        for (int i = 0; i < count; i++)
        {
            if ((i & bit) == 0)
            {
                final int zero = offset + i * stride;
                final int one = offset + (i | bit) * stride;
                final double re0 = re[zero];
                final double im0 = im[zero];
                final double re1 = re[one];
                final double im1 = im[one];
                re[zero] = re00 * re0 - im00 * im0 + re01 * re1 - im01 * im1;
                im[zero] = re00 * im0 + im00 * re0 + re01 * im1 + im01 * re1;
                re[one] = re10 * re0 - im10 * im0 + re11 * re1 - im11 * im1;
                im[one] = re10 * im0 + im10 * re0 + re11 * im1 + im11 * re1;
            }
        }
    }

    static void requireQubitCount(final int qubitCount, final int max)
    {
        if (qubitCount < 1 || qubitCount > max)
        {
            throw new IllegalArgumentException("qubit count must be in [1, " + max + "], got " + qubitCount);
        }
    }

    static void requireOutcome(final int outcome)
    {
        if (outcome != 0 && outcome != 1)
        {
            throw new IllegalArgumentException("measurement outcome must be 0 or 1, got " + outcome);
        }
    }

    private void requireQubit(final int qubit)
    {
        if (qubit < 0 || qubit >= qubitCount)
        {
            throw new IndexOutOfBoundsException("qubit " + qubit + " outside a register of " + qubitCount);
        }
    }

    private static void swap(final double[] values, final int a, final int b)
    {
        final double held = values[a];
        values[a] = values[b];
        values[b] = held;
    }
}
