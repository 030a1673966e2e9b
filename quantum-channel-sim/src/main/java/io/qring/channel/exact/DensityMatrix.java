package io.qring.channel.exact;

import java.util.Arrays;

/**
 * A dense density matrix ρ of up to {@link #MAX_QUBITS} qubits: 2^n x 2^n complex entries, row
 * major, in two {@code double[]} arrays. Qubit q is bit q of a basis index, as in
 * {@link StateVector}. Gates and Kraus channels mutate the matrix in place and return it for
 * chaining. Not thread-safe.
 */
public final class DensityMatrix
{
    /** Largest register this simulator accepts (a 256 x 256 matrix). */
    public static final int MAX_QUBITS = 8;

    /** Largest deviation from Hermiticity and unit trace accepted by {@link #of}. */
    public static final double VALIDITY_TOLERANCE = 1e-12;

    private final int qubitCount;
    private final int dimension;
    private final double[] re;
    private final double[] im;

    private DensityMatrix(final int qubitCount, final double[] re, final double[] im)
    {
        this.qubitCount = qubitCount;
        this.dimension = 1 << qubitCount;
        this.re = re;
        this.im = im;
    }

    /**
     * The all-zero state |0…0⟩⟨0…0|.
     *
     * @param qubitCount number of qubits, 1..{@link #MAX_QUBITS}.
     * @return the density matrix.
     */
    public static DensityMatrix zeroState(final int qubitCount)
    {
        StateVector.requireQubitCount(qubitCount, MAX_QUBITS);
        return pure(new StateVector(qubitCount));
    }

    /**
     * The projector |ψ⟩⟨ψ| of a pure state.
     *
     * @param state the pure state, at most {@link #MAX_QUBITS} qubits.
     * @return its density matrix.
     */
    public static DensityMatrix pure(final StateVector state)
    {
        final int qubitCount = state.qubitCount();
        StateVector.requireQubitCount(qubitCount, MAX_QUBITS);
        final int dimension = state.dimension();
        final double[] re = new double[dimension * dimension];
        final double[] im = new double[dimension * dimension];
        for (int row = 0; row < dimension; row++)
        {
            for (int column = 0; column < dimension; column++)
            {
                final int at = row * dimension + column;
                re[at] = state.re(row) * state.re(column) + state.im(row) * state.im(column);
                im[at] = state.im(row) * state.re(column) - state.re(row) * state.im(column);
            }
        }
        return new DensityMatrix(qubitCount, re, im);
    }

    /**
     * A convex mixture Σ w_k |ψ_k⟩⟨ψ_k| of pure states.
     *
     * @param weights the probabilities w_k, non-negative and summing to 1.
     * @param states  the pure states, all with the same number of qubits.
     * @return the mixed state.
     * @throws IllegalArgumentException if the weights are not a distribution or the states disagree in size.
     */
    public static DensityMatrix mixture(final double[] weights, final StateVector... states)
    {
        if (weights.length != states.length || states.length == 0)
        {
            throw new IllegalArgumentException("need one weight per state, got " + weights.length + " weights for " +
                states.length + " states");
        }
        double total = 0;
        for (final double weight : weights)
        {
            if (!(weight >= 0))
            {
                throw new IllegalArgumentException("mixture weights must be >= 0, got " + Arrays.toString(weights));
            }
            total += weight;
        }
        if (Math.abs(total - 1) > VALIDITY_TOLERANCE)
        {
            throw new IllegalArgumentException("mixture weights sum to " + total + ", not 1: " + Arrays.toString(weights));
        }
        final int qubitCount = states[0].qubitCount();
        StateVector.requireQubitCount(qubitCount, MAX_QUBITS);
        final int entries = states[0].dimension() * states[0].dimension();
        final DensityMatrix sum = new DensityMatrix(qubitCount, new double[entries], new double[entries]);
        for (int k = 0; k < states.length; k++)
        {
            if (states[k].qubitCount() != qubitCount)
            {
                throw new IllegalArgumentException("state " + k + " has " + states[k].qubitCount() + " qubits, expected " + qubitCount);
            }
            sum.addScaled(weights[k], pure(states[k]));
        }
        return sum;
    }

    /**
     * A density matrix from its entries.
     *
     * @param qubitCount number of qubits, 1..{@link #MAX_QUBITS}.
     * @param re         real parts, row major, 4^n entries (copied).
     * @param im         imaginary parts, row major, 4^n entries (copied).
     * @return the density matrix.
     * @throws IllegalArgumentException if the sizes are wrong, or the matrix is not Hermitian or not of
     *                                  unit trace within {@link #VALIDITY_TOLERANCE}.
     */
    public static DensityMatrix of(final int qubitCount, final double[] re, final double[] im)
    {
        StateVector.requireQubitCount(qubitCount, MAX_QUBITS);
        final int dimension = 1 << qubitCount;
        if (re.length != dimension * dimension || im.length != dimension * dimension)
        {
            throw new IllegalArgumentException("a " + qubitCount + "-qubit density matrix needs " + dimension * dimension +
                " entries, got " + re.length + " real and " + im.length + " imaginary");
        }
        final DensityMatrix matrix = new DensityMatrix(qubitCount, re.clone(), im.clone());
        for (int row = 0; row < dimension; row++)
        {
            for (int column = row; column < dimension; column++)
            {
                final double reDeviation = Math.abs(matrix.re(row, column) - matrix.re(column, row));
                final double imDeviation = Math.abs(matrix.im(row, column) + matrix.im(column, row));
                if (!(reDeviation <= VALIDITY_TOLERANCE && imDeviation <= VALIDITY_TOLERANCE))
                {
                    throw new IllegalArgumentException("density matrix is not Hermitian at (" + row + ", " + column + ")");
                }
            }
        }
        final double trace = matrix.trace();
        if (!(Math.abs(trace - 1) <= VALIDITY_TOLERANCE))
        {
            throw new IllegalArgumentException("density matrix trace is " + trace + ", not 1");
        }
        return matrix;
    }

    /** @return an independent copy of this matrix. */
    public DensityMatrix copy()
    {
        return new DensityMatrix(qubitCount, re.clone(), im.clone());
    }

    /** @return number of qubits n. */
    public int qubitCount()
    {
        return qubitCount;
    }

    /** @return matrix dimension 2^n. */
    public int dimension()
    {
        return dimension;
    }

    /**
     * @param row    row index.
     * @param column column index.
     * @return real part of ρ(row, column).
     */
    public double re(final int row, final int column)
    {
        return re[row * dimension + column];
    }

    /**
     * @param row    row index.
     * @param column column index.
     * @return imaginary part of ρ(row, column).
     */
    public double im(final int row, final int column)
    {
        return im[row * dimension + column];
    }

    /** @return the trace, 1 for a valid state (the real part; the imaginary part of a Hermitian matrix is 0). */
    public double trace()
    {
        double sum = 0;
        for (int index = 0; index < dimension; index++)
        {
            sum += re(index, index);
        }
        return sum;
    }

    /**
     * Applies a single-qubit unitary, ρ → UρU†.
     *
     * @param qubit   target qubit.
     * @param unitary the gate.
     * @return this matrix.
     * @throws IllegalArgumentException if the gate is not unitary within {@link StateVector#UNITARITY_TOLERANCE}.
     */
    public DensityMatrix apply(final int qubit, final Matrix2 unitary)
    {
        requireQubit(qubit);
        if (!unitary.isUnitary(StateVector.UNITARITY_TOLERANCE))
        {
            throw new IllegalArgumentException("gate is not unitary: " + unitary);
        }
        sandwich(re, im, qubit, unitary);
        return this;
    }

    /**
     * @param qubit target qubit.
     * @return this matrix after a Hadamard on the qubit.
     */
    public DensityMatrix h(final int qubit)
    {
        return apply(qubit, Matrix2.HADAMARD);
    }

    /**
     * @param qubit target qubit.
     * @return this matrix after Pauli X on the qubit.
     */
    public DensityMatrix x(final int qubit)
    {
        return apply(qubit, Matrix2.PAULI_X);
    }

    /**
     * @param qubit target qubit.
     * @return this matrix after Pauli Y on the qubit.
     */
    public DensityMatrix y(final int qubit)
    {
        return apply(qubit, Matrix2.PAULI_Y);
    }

    /**
     * @param qubit target qubit.
     * @return this matrix after Pauli Z on the qubit.
     */
    public DensityMatrix z(final int qubit)
    {
        return apply(qubit, Matrix2.PAULI_Z);
    }

    /**
     * @param qubit target qubit.
     * @return this matrix after the phase gate S on the qubit.
     */
    public DensityMatrix s(final int qubit)
    {
        return apply(qubit, Matrix2.PHASE_S);
    }

    /**
     * Controlled NOT: flips the target where the control is 1, on both sides of ρ.
     *
     * @param control control qubit.
     * @param target  target qubit, different from the control.
     * @return this matrix.
     */
    public DensityMatrix cnot(final int control, final int target)
    {
        requireQubit(control);
        requireQubit(target);
        if (control == target)
        {
            throw new IllegalArgumentException("CNOT control and target must differ, both are " + control);
        }
        final int controlMask = 1 << control;
        final int targetMask = 1 << target;
        final double[] oldRe = re.clone();
        final double[] oldIm = im.clone();
        for (int row = 0; row < dimension; row++)
        {
            final int fromRow = (row & controlMask) != 0 ? row ^ targetMask : row;
            for (int column = 0; column < dimension; column++)
            {
                final int fromColumn = (column & controlMask) != 0 ? column ^ targetMask : column;
                re[row * dimension + column] = oldRe[fromRow * dimension + fromColumn];
                im[row * dimension + column] = oldIm[fromRow * dimension + fromColumn];
            }
        }
        return this;
    }

    /**
     * Applies a single-qubit Kraus channel to one qubit, ρ → Σ (K ⊗ I) ρ (K ⊗ I)†.
     *
     * @param qubit   target qubit.
     * @param channel the channel.
     * @return this matrix.
     */
    public DensityMatrix apply(final int qubit, final KrausChannel channel)
    {
        requireQubit(qubit);
        final double[] sumRe = new double[re.length];
        final double[] sumIm = new double[im.length];
        for (final Matrix2 operator : channel.operators())
        {
            final double[] termRe = re.clone();
            final double[] termIm = im.clone();
            sandwich(termRe, termIm, qubit, operator);
            for (int at = 0; at < re.length; at++)
            {
                sumRe[at] += termRe[at];
                sumIm[at] += termIm[at];
            }
        }
        System.arraycopy(sumRe, 0, re, 0, re.length);
        System.arraycopy(sumIm, 0, im, 0, im.length);
        return this;
    }

    /**
     * @param basisIndex basis index.
     * @return probability of that outcome when measuring every qubit in Z, ρ(index, index).
     */
    public double probability(final int basisIndex)
    {
        return re(basisIndex, basisIndex);
    }

    /**
     * @param qubit   measured qubit.
     * @param outcome 0 or 1.
     * @return probability that measuring the qubit in Z yields the outcome.
     */
    public double probability(final int qubit, final int outcome)
    {
        requireQubit(qubit);
        StateVector.requireOutcome(outcome);
        final int mask = 1 << qubit;
        double sum = 0;
        for (int index = 0; index < dimension; index++)
        {
            if (((index & mask) != 0) == (outcome == 1))
            {
                sum += probability(index);
            }
        }
        return sum;
    }

    /**
     * The fidelity ⟨ψ|ρ|ψ⟩ with a pure state, e.g. the population of one Bell state.
     *
     * @param state a pure state with the same number of qubits.
     * @return ⟨ψ|ρ|ψ⟩.
     */
    public double fidelity(final StateVector state)
    {
        if (state.qubitCount() != qubitCount)
        {
            throw new IllegalArgumentException("state has " + state.qubitCount() + " qubits, density matrix " + qubitCount);
        }
        double sum = 0;
        for (int row = 0; row < dimension; row++)
        {
            for (int column = 0; column < dimension; column++)
            {
                // Re(conj(psi_row) * rho(row, column) * psi_column)
                final double productRe = re(row, column) * state.re(column) - im(row, column) * state.im(column);
                final double productIm = re(row, column) * state.im(column) + im(row, column) * state.re(column);
                sum += state.re(row) * productRe + state.im(row) * productIm;
            }
        }
        return sum;
    }

    /**
     * @param other a density matrix of the same size.
     * @return the largest modulus of an entry of {@code this − other}.
     */
    public double maxAbsDifference(final DensityMatrix other)
    {
        if (other.qubitCount != qubitCount)
        {
            throw new IllegalArgumentException("cannot compare " + qubitCount + " with " + other.qubitCount + " qubits");
        }
        double max = 0;
        for (int at = 0; at < re.length; at++)
        {
            max = Math.max(max, Math.hypot(re[at] - other.re[at], im[at] - other.im[at]));
        }
        return max;
    }

    private void addScaled(final double weight, final DensityMatrix term)
    {
        for (int at = 0; at < re.length; at++)
        {
            re[at] += weight * term.re[at];
            im[at] += weight * term.im[at];
        }
    }

    private void sandwich(final double[] targetRe, final double[] targetIm, final int qubit, final Matrix2 operator)
    {
        final int bit = 1 << qubit;
        for (int column = 0; column < dimension; column++)
        {
            StateVector.applyToPairs(targetRe, targetIm, column, dimension, dimension, bit, operator);
        }
        final Matrix2 conjugate = operator.conjugate();
        for (int row = 0; row < dimension; row++)
        {
            StateVector.applyToPairs(targetRe, targetIm, row * dimension, 1, dimension, bit, conjugate);
        }
    }

    private void requireQubit(final int qubit)
    {
        if (qubit < 0 || qubit >= qubitCount)
        {
            throw new IndexOutOfBoundsException("qubit " + qubit + " outside a register of " + qubitCount);
        }
    }
}
