package io.qring.channel.exact;

/**
 * The four Bell states of a pair (half A on qubit 0, half B on qubit 1), named by the 2-bit Pauli
 * label l = (z &lt;&lt; 1) | x of {@code PauliChannel}: β_l = (Z^z X^x ⊗ I)|Φ+⟩, so Φ+ = 0, Ψ+ = 1 (X),
 * Φ− = 2 (Z), Ψ− = 3 (Y). Also noisy pairs and their Z/X verification statistics.
 */
public final class BellStates
{
    /** Number of Bell states (and of 2-bit labels). */
    public static final int COUNT = 4;

    private BellStates()
    {
    }

    /**
     * @param label Bell label 0..3.
     * @return β_label as a two-qubit state vector.
     */
    public static StateVector stateVector(final int label)
    {
        requireLabel(label);
        final StateVector pair = new StateVector(2).h(PairHalf.A.qubit()).cnot(PairHalf.A.qubit(), PairHalf.B.qubit());
        if ((label & 1) != 0)
        {
            pair.x(PairHalf.A.qubit());
        }
        if ((label & 2) != 0)
        {
            pair.z(PairHalf.A.qubit());
        }
        return pair;
    }

    /** @return |Φ+⟩⟨Φ+|. */
    public static DensityMatrix phiPlus()
    {
        return DensityMatrix.pure(stateVector(0));
    }

    /**
     * A Bell-diagonal pair Σ w_l |β_l⟩⟨β_l|.
     *
     * @param weights the four weights, indexed by Bell label, a probability distribution.
     * @return the mixed pair.
     */
    public static DensityMatrix bellDiagonal(final double[] weights)
    {
        return DensityMatrix.mixture(weights, stateVector(0), stateVector(1), stateVector(2), stateVector(3));
    }

    /**
     * The Werner pair of fidelity F: F|Φ+⟩⟨Φ+| + (1−F)/3 on each other Bell state.
     *
     * @param fidelity F in [1/4, 1].
     * @return the pair.
     */
    public static DensityMatrix werner(final double fidelity)
    {
        if (!(fidelity >= 0.25 && fidelity <= 1.0))
        {
            throw new IllegalArgumentException("Werner fidelity must be in [0.25, 1], got " + fidelity);
        }
        final double other = (1 - fidelity) / 3;
        return bellDiagonal(new double[]{ fidelity, other, other, other });
    }

    /**
     * |Φ+⟩ with each half independently amplitude-damped: γA on half A, γB on half B.
     *
     * @param gammaA decay probability of half A.
     * @param gammaB decay probability of half B.
     * @return the damped pair.
     */
    public static DensityMatrix amplitudeDampedPhiPlus(final double gammaA, final double gammaB)
    {
        return phiPlus()
            .apply(PairHalf.A.qubit(), KrausChannel.amplitudeDamping(gammaA))
            .apply(PairHalf.B.qubit(), KrausChannel.amplitudeDamping(gammaB));
    }

    /**
     * @param pair a two-qubit density matrix.
     * @return its Bell-state populations ⟨β_l|ρ|β_l⟩, indexed by Bell label.
     */
    public static double[] weights(final DensityMatrix pair)
    {
        requirePair(pair);
        final double[] weights = new double[COUNT];
        for (int label = 0; label < COUNT; label++)
        {
            weights[label] = pair.fidelity(stateVector(label));
        }
        return weights;
    }

    /**
     * Bell-pair verification statistic: both halves are measured in the same basis; the probability
     * that the two outcomes differ. For Φ+ it is 0 in both bases.
     *
     * @param pair  a two-qubit density matrix (not modified).
     * @param basis the shared measurement basis.
     * @return P(outcome of A ≠ outcome of B).
     */
    public static double mismatchProbability(final DensityMatrix pair, final MeasurementBasis basis)
    {
        requirePair(pair);
        final DensityMatrix measured = pair.copy();
        if (basis == MeasurementBasis.X)
        {
            measured.h(PairHalf.A.qubit()).h(PairHalf.B.qubit());
        }
        return measured.probability(0b01) + measured.probability(0b10);
    }

    private static void requireLabel(final int label)
    {
        if (label < 0 || label >= COUNT)
        {
            throw new IllegalArgumentException("Bell label must be 0..3, got " + label);
        }
    }

    private static void requirePair(final DensityMatrix pair)
    {
        if (pair.qubitCount() != 2)
        {
            throw new IllegalArgumentException("expected a two-qubit pair, got " + pair.qubitCount() + " qubits");
        }
    }
}
