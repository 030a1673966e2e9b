package io.qring.channel.exact;

import io.qring.channel.noise.MemoryTimes;

import java.util.ArrayList;
import java.util.List;

/**
 * A single-qubit quantum channel ρ → Σ K ρ K† given by its Kraus operators, checked for
 * completeness Σ K†K = I on construction. Factories cover every noise source of DESIGN §3 in its
 * physical (not Pauli-twirled) form, so the exact checker can prove the Pauli-frame models right.
 */
public final class KrausChannel
{
    /** Largest entry-wise deviation of Σ K†K from I accepted by {@link #of(List)}. */
    public static final double COMPLETENESS_TOLERANCE = 1e-12;

    private final List<Matrix2> operators;

    private KrausChannel(final List<Matrix2> operators)
    {
        this.operators = operators;
    }

    /**
     * A channel from its Kraus operators.
     *
     * @param operators the Kraus operators, at least one.
     * @return the channel.
     * @throws IllegalArgumentException if the list is empty or Σ K†K differs from I by more than
     *                                  {@link #COMPLETENESS_TOLERANCE} in any entry.
     */
    public static KrausChannel of(final List<Matrix2> operators)
    {
        if (operators.isEmpty())
        {
            throw new IllegalArgumentException("a Kraus channel needs at least one operator");
        }
        Matrix2 sum = Matrix2.real(0, 0, 0, 0);
        for (final Matrix2 operator : operators)
        {
            sum = sum.plus(operator.adjoint().times(operator));
        }
        final double deviation = sum.maxAbsDifference(Matrix2.IDENTITY);
        if (!(deviation <= COMPLETENESS_TOLERANCE))
        {
            throw new IllegalArgumentException("Kraus operators are not complete: sum of K^dagger K = " + sum +
                " deviates from I by " + deviation + " > " + COMPLETENESS_TOLERANCE);
        }
        return new KrausChannel(List.copyOf(operators));
    }

    /**
     * @param operators the Kraus operators, at least one.
     * @return the channel.
     * @throws IllegalArgumentException as {@link #of(List)}.
     */
    public static KrausChannel of(final Matrix2... operators)
    {
        return of(List.of(operators));
    }

    /**
     * A unitary channel ρ → UρU†.
     *
     * @param unitary the unitary.
     * @return the channel with the single Kraus operator U.
     */
    public static KrausChannel unitary(final Matrix2 unitary)
    {
        return of(unitary);
    }

    /**
     * Depolarizing channel ρ → (1−p)ρ + (p/3)(XρX + YρY + ZρZ).
     *
     * @param p total error probability in [0, 1].
     * @return the channel.
     */
    public static KrausChannel depolarizing(final double p)
    {
        requireProbability("depolarizing p", p);
        final double pauli = Math.sqrt(p / 3);
        return of(
            Matrix2.IDENTITY.scale(Math.sqrt(1 - p)),
            Matrix2.PAULI_X.scale(pauli),
            Matrix2.PAULI_Y.scale(pauli),
            Matrix2.PAULI_Z.scale(pauli));
    }

    /**
     * Dephasing channel ρ → (1−q)ρ + qZρZ.
     *
     * @param q phase-flip probability in [0, 1].
     * @return the channel.
     */
    public static KrausChannel dephasing(final double q)
    {
        requireProbability("dephasing q", q);
        return of(Matrix2.IDENTITY.scale(Math.sqrt(1 - q)), Matrix2.PAULI_Z.scale(Math.sqrt(q)));
    }

    /**
     * Bit-flip channel ρ → (1−q)ρ + qXρX.
     *
     * @param q bit-flip probability in [0, 1].
     * @return the channel.
     */
    public static KrausChannel bitFlip(final double q)
    {
        requireProbability("bit flip q", q);
        return of(Matrix2.IDENTITY.scale(Math.sqrt(1 - q)), Matrix2.PAULI_X.scale(Math.sqrt(q)));
    }

    /**
     * Amplitude damping: |1⟩ decays to |0⟩ with probability γ. Kraus operators
     * K0 = diag(1, √(1−γ)), K1 = √γ |0⟩⟨1|.
     *
     * @param gamma decay probability γ in [0, 1].
     * @return the channel.
     */
    public static KrausChannel amplitudeDamping(final double gamma)
    {
        requireProbability("amplitude damping gamma", gamma);
        return of(Matrix2.real(1, 0, 0, Math.sqrt(1 - gamma)), Matrix2.LOWERING.scale(Math.sqrt(gamma)));
    }

    /**
     * T1/T2 memory decoherence over a storage time t: amplitude damping with γ = 1 − e^{−t/T1},
     * followed by pure dephasing at rate 1/Tφ = 1/T2 − 1/(2·T1), i.e. q = (1 − e^{−t/Tφ})/2. The
     * excited population then decays as e^{−t/T1} and the coherence as e^{−t/T2}.
     *
     * @param storageSeconds storage time t, ≥ 0.
     * @param t1Seconds      relaxation time T1, &gt; 0.
     * @param t2Seconds      coherence time T2, &gt; 0 and ≤ 2·T1.
     * @return the channel.
     */
    public static KrausChannel memory(final double storageSeconds, final double t1Seconds, final double t2Seconds)
    {
        if (!(storageSeconds >= 0) || Double.isInfinite(storageSeconds))
        {
            throw new IllegalArgumentException("storage time must be finite and >= 0, got " + storageSeconds);
        }
        MemoryTimes.validate(t1Seconds, t2Seconds);
        final double gamma = -Math.expm1(-storageSeconds / t1Seconds);
        final double q = -Math.expm1(-storageSeconds * MemoryTimes.pureDephasingRate(t1Seconds, t2Seconds)) / 2;
        return amplitudeDamping(gamma).then(dephasing(q));
    }

    /**
     * An intercept-resend eavesdropper in the Z basis: measures the qubit in Z and resends the
     * outcome. Kraus operators |0⟩⟨0| and |1⟩⟨1|.
     *
     * @return the channel.
     */
    public static KrausChannel interceptResendZ()
    {
        return of(Matrix2.PROJECTOR_0, Matrix2.PROJECTOR_1);
    }

    /**
     * This channel followed by another: Kraus operators {@code next_j · this_i} for every pair.
     *
     * @param next the channel applied after this one.
     * @return the composition.
     */
    public KrausChannel then(final KrausChannel next)
    {
        final List<Matrix2> composed = new ArrayList<>(operators.size() * next.operators.size());
        for (final Matrix2 first : operators)
        {
            for (final Matrix2 second : next.operators)
            {
                composed.add(second.times(first));
            }
        }
        return of(composed);
    }

    /** @return the Kraus operators, unmodifiable. */
    public List<Matrix2> operators()
    {
        return operators;
    }

    /** {@inheritDoc} */
    @Override
    public String toString()
    {
        return "KrausChannel" + operators;
    }

    private static void requireProbability(final String name, final double p)
    {
        if (!(p >= 0 && p <= 1))
        {
            throw new IllegalArgumentException(name + " must be a probability in [0, 1], got " + p);
        }
    }
}
