package io.qring.channel.noise;

/**
 * A single-qubit Pauli channel ρ → pI·ρ + pX·XρX + pY·YρY + pZ·ZρZ, the exact model of every noise
 * source the simulator knows (DESIGN §3).
 *
 * <p>Acting on either half of a Bell pair, a Pauli error X^x Z^z flips the superdense-decoded bits
 * (b1, b2) to (b1 ⊕ z, b2 ⊕ x), so the decoded symbol is XORed with the 2-bit error label
 * {@code (z << 1) | x}: X = 1, Z = 2, Y = 3. The same four weights therefore describe any
 * distribution over the four Bell states relative to Φ+ ({@code pI} = Φ+, {@code pX} = Ψ+,
 * {@code pZ} = Φ−, {@code pY} = Ψ−), which is how the exact both-halves damping weights are held.
 *
 * <p>Amplitude damping is not a Pauli channel; its weights here reproduce its decoded statistics exactly
 * when it is the only damping a pair meets. A second damping turns the Φ+/Φ− coherence the first leaves
 * into decoded errors no Pauli channel has (after a damped stored pair, damping in flight makes them
 * depend on the message, by up to γ·γ′/4 per error weight). So a channel remembers whether damping went
 * into it ({@link #fromDamping()}), for a link to refuse a second damping stage.
 *
 * @param pX          probability of an X error
 * @param pY          probability of a Y error
 * @param pZ          probability of a Z error
 * @param fromDamping whether these are (or compose) the weights of an amplitude damping with γ &gt; 0
 */
public record PauliChannel(double pX, double pY, double pZ, boolean fromDamping)
{
    /** Label of the X error in a 2-bit symbol (flips b2). */
    public static final int X = 1;
    /** Label of the Z error in a 2-bit symbol (flips b1). */
    public static final int Z = 2;
    /** Label of the Y error in a 2-bit symbol (flips both bits). */
    public static final int Y = 3;

    /** The identity channel. */
    public static final PauliChannel NOISELESS = new PauliChannel(0, 0, 0);

    private static final double SUM_TOLERANCE = 1e-12;

    /**
     * Validates the weights.
     *
     * @throws IllegalArgumentException if a weight is NaN, negative, or the three sum to more than 1.
     */
    public PauliChannel
    {
        requireProbability("pX", pX);
        requireProbability("pY", pY);
        requireProbability("pZ", pZ);
        final double sum = pX + pY + pZ;
        if (sum > 1.0 + SUM_TOLERANCE)
        {
            throw new IllegalArgumentException("Pauli weights sum to " + sum + " > 1: pX=" + pX + " pY=" + pY + " pZ=" + pZ);
        }
    }

    /**
     * A Pauli channel proper.
     *
     * @param pX probability of an X error
     * @param pY probability of a Y error
     * @param pZ probability of a Z error
     * @throws IllegalArgumentException if a weight is NaN, negative, or the three sum to more than 1.
     */
    public PauliChannel(final double pX, final double pY, final double pZ)
    {
        this(pX, pY, pZ, false);
    }

    /**
     * Depolarizing channel ρ → (1−p)ρ + (p/3)ΣPρP.
     *
     * @param p total error probability in [0, 1].
     * @return the channel with p/3 on each Pauli.
     */
    public static PauliChannel depolarizing(final double p)
    {
        requireProbability("depolarizing p", p);
        return new PauliChannel(p / 3, p / 3, p / 3);
    }

    /**
     * Dephasing channel (1−q)ρ + qZρZ.
     *
     * @param q phase-flip probability in [0, 1].
     * @return the channel (0, 0, q).
     */
    public static PauliChannel dephasing(final double q)
    {
        requireProbability("dephasing q", q);
        return new PauliChannel(0, 0, q);
    }

    /**
     * Pure T2 dephasing over a storage time: q = (1 − e^{−t/T2}) / 2.
     *
     * @param storageSeconds time t the qubit is stored, ≥ 0.
     * @param t2Seconds      coherence time T2, &gt; 0.
     * @return the dephasing channel for that time.
     */
    public static PauliChannel t2Dephasing(final double storageSeconds, final double t2Seconds)
    {
        requireNonNegative("storage time", storageSeconds);
        requirePositive("T2", t2Seconds);
        return dephasing((1 - Math.exp(-storageSeconds / t2Seconds)) / 2);
    }

    /**
     * Bit-flip channel (1−q)ρ + qXρX.
     *
     * @param q bit-flip probability in [0, 1].
     * @return the channel (q, 0, 0).
     */
    public static PauliChannel bitFlip(final double q)
    {
        requireProbability("bit flip q", q);
        return new PauliChannel(q, 0, 0);
    }

    /**
     * Amplitude damping with decay probability γ on one half of the pair. Not a Pauli channel in
     * general, but for superdense coding of Φ+ its decoded-symbol statistics are exactly those of
     * (γ/4, γ/4, (1−√(1−γ))²/4), whichever half it acts on and whatever was encoded.
     *
     * @param gamma decay probability γ in [0, 1].
     * @return the exactly equivalent Pauli channel.
     */
    public static PauliChannel amplitudeDamping(final double gamma)
    {
        requireProbability("amplitude damping gamma", gamma);
        final double root = 1 - Math.sqrt(1 - gamma);
        return new PauliChannel(gamma / 4, gamma / 4, root * root / 4, gamma > 0);
    }

    /**
     * Amplitude damping on both halves, γ1 on one and γ2 on the other. This is not the composition of
     * the two single-half channels; its exact Bell weights are Φ± = ¼[2−γ1−γ2+2γ1γ2 ± 2√((1−γ1)(1−γ2))]
     * and Ψ± = ¼[γ1(1−γ2)+γ2(1−γ1)] each.
     *
     * @param gamma1 decay probability of the first half.
     * @param gamma2 decay probability of the second half.
     * @return the Bell-weight distribution as a Pauli channel (Φ− → Z, Ψ+ → X, Ψ− → Y).
     */
    public static PauliChannel amplitudeDampingBothHalves(final double gamma1, final double gamma2)
    {
        requireProbability("amplitude damping gamma1", gamma1);
        requireProbability("amplitude damping gamma2", gamma2);
        final double common = 2 - gamma1 - gamma2 + 2 * gamma1 * gamma2;
        final double cross = 2 * Math.sqrt((1 - gamma1) * (1 - gamma2));
        final double phiMinus = Math.max(0, (common - cross) / 4);
        final double psi = (gamma1 * (1 - gamma2) + gamma2 * (1 - gamma1)) / 4;
        return new PauliChannel(psi, psi, phiMinus, gamma1 > 0 || gamma2 > 0);
    }

    /**
     * T1/T2 memory decoherence of one stored half over time t, with γ = 1 − e^{−t/T1}:
     * (γ/4, γ/4, (1 − e^{−t/T2})/2 − γ/4). Physical memories have T2 ≤ 2·T1.
     *
     * @param storageSeconds storage time t, ≥ 0.
     * @param t1Seconds      relaxation time T1, &gt; 0.
     * @param t2Seconds      coherence time T2, &gt; 0 and ≤ 2·T1.
     * @return the memory channel for that storage time.
     */
    public static PauliChannel memory(final double storageSeconds, final double t1Seconds, final double t2Seconds)
    {
        requireNonNegative("storage time", storageSeconds);
        MemoryTimes.validate(t1Seconds, t2Seconds);
        final double gamma = 1 - Math.exp(-storageSeconds / t1Seconds);
        final double zFlip = (1 - Math.exp(-storageSeconds / t2Seconds)) / 2 - gamma / 4;
        return new PauliChannel(gamma / 4, gamma / 4, Math.max(0, zFlip), gamma > 0);
    }

    /**
     * A Werner pair of fidelity F: (1−F)/3 on each Pauli.
     *
     * @param fidelity F in [1/4, 1].
     * @return the equivalent Pauli channel.
     */
    public static PauliChannel werner(final double fidelity)
    {
        if (!(fidelity >= 0.25 && fidelity <= 1.0))
        {
            throw new IllegalArgumentException("Werner fidelity must be in [0.25, 1], got " + fidelity);
        }
        final double p = (1 - fidelity) / 3;
        return new PauliChannel(p, p, p);
    }

    /** @return probability of no error, 1 − pX − pY − pZ. */
    public double pI()
    {
        return Math.max(0, 1 - pX - pY - pZ);
    }

    /** @return probability that a decoded symbol is wrong, 1 − pI. */
    public double symbolErrorProbability()
    {
        return pX + pY + pZ;
    }

    /** @return probability that decoded bit b1 (the Z-bit) flips, pZ + pY. */
    public double b1FlipProbability()
    {
        return pZ + pY;
    }

    /** @return probability that decoded bit b2 (the X-bit) flips, pX + pY. */
    public double b2FlipProbability()
    {
        return pX + pY;
    }

    /**
     * Weight of one 2-bit error label.
     *
     * @param label 0 (I), {@link #X}, {@link #Z} or {@link #Y}.
     * @return its probability.
     */
    public double weight(final int label)
    {
        return switch (label)
        {
            case 0 -> pI();
            case X -> pX;
            case Z -> pZ;
            case Y -> pY;
            default -> throw new IllegalArgumentException("Pauli label must be 0..3, got " + label);
        };
    }

    /**
     * The channel of this one followed by an independent other: error labels XOR, so the weights
     * convolve over the group Z2×Z2.
     *
     * @param next the channel applied after this one.
     * @return the composed channel, {@link #fromDamping() from damping} if either is.
     */
    public PauliChannel then(final PauliChannel next)
    {
        final double[] out = new double[4];
        for (int a = 0; a < 4; a++)
        {
            for (int b = 0; b < 4; b++)
            {
                out[a ^ b] += weight(a) * next.weight(b);
            }
        }
        return new PauliChannel(clamp(out[X]), clamp(out[Y]), clamp(out[Z]), fromDamping || next.fromDamping);
    }

    /**
     * Dense-coding capacity in bits per transmitted qubit, 2 − H(pI, pX, pY, pZ) (DESIGN §3): exact for
     * a Pauli (Bell-diagonal) channel. For a channel made from amplitude damping, which this class holds
     * by its Bell weights, it is the rate of superdense coding with Bell-measurement decoding, which is
     * below the damped pair's own dense-coding capacity 1 + S(ρ_B) − S(ρ_AB) (damping 0.1 on one half:
     * 1.656 against 1.706 bits).
     *
     * @return the capacity bound in [0, 2].
     */
    public double denseCodingCapacity()
    {
        return Math.max(0, 2 - entropy(pI()) - entropy(pX) - entropy(pY) - entropy(pZ));
    }

    private static double entropy(final double p)
    {
        return p <= 0 ? 0 : -p * (Math.log(p) / Math.log(2));
    }

    private static double clamp(final double p)
    {
        return Math.min(1, Math.max(0, p));
    }

    private static void requireProbability(final String name, final double p)
    {
        if (!(p >= 0 && p <= 1))
        {
            throw new IllegalArgumentException(name + " must be a probability in [0, 1], got " + p);
        }
    }

    private static void requireNonNegative(final String name, final double value)
    {
        if (!(value >= 0) || Double.isInfinite(value))
        {
            throw new IllegalArgumentException(name + " must be finite and >= 0, got " + value);
        }
    }

    private static void requirePositive(final String name, final double value)
    {
        if (!(value > 0) || Double.isInfinite(value))
        {
            throw new IllegalArgumentException(name + " must be finite and > 0, got " + value);
        }
    }
}
