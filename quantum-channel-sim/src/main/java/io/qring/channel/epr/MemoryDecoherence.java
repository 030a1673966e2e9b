package io.qring.channel.epr;

import io.qring.channel.noise.MemoryTimes;
import io.qring.channel.noise.PauliChannel;

/**
 * T1/T2 decoherence of both halves of a stored pair, exact for the decoded statistics.
 *
 * <p>Each half undergoes amplitude damping γ = 1 − e^{−t/T1} and pure dephasing with rate
 * 1/Tφ = 1/T2 − 1/(2·T1), so that its coherence decays as e^{−t/T2}. Damping and dephasing are both
 * phase covariant and commute, so the order does not matter. Superdense decoding only sees the Bell
 * diagonal of the held pair: the sender's encoding Pauli and every later Pauli channel permute that
 * diagonal, whatever the coherences. Pure dephasing of the two halves is the Pauli channel
 * (0, 0, (1 − e^{−2t/Tφ})/2) (Z on both halves cancels). Damping of both halves is not a Pauli channel
 * and does not commute with X errors, so it is applied as its exact map on the Bell diagonal:
 * from Φ± it gives Φ± → 1 − γ + γ²/2, Φ∓ → γ²/2, Ψ± → γ(1−γ)/2 each (the weights of
 * {@link PauliChannel#amplitudeDampingBothHalves(double, double)}); from Ψ± it gives Ψ± → 1 − γ,
 * Ψ∓ → 0, Φ± → γ/2 each. For a noiseless pair this equals
 * {@code amplitudeDampingBothHalves(γ, γ).then(dephasing)}; for a pair that already carries X or Y
 * errors it differs from that composition at order γ·(pX + pY).
 * <p>The damping leaves Φ+/Φ− coherence behind. Later Pauli channels keep it away from the decoded
 * statistics, but a later amplitude damping of the flying half does not: its decoded errors then depend
 * on the message, by up to γ·γ′/4 per error weight, and no Pauli channel reproduces them. Likewise a
 * pair damped while distributed carries coherence this map does not see. The memory is exact as the one
 * damping stage of a link.
 *
 * @param t1Seconds relaxation time T1 of the memory, &gt; 0.
 * @param t2Seconds coherence time T2 of the memory, &gt; 0 and ≤ 2·T1.
 */
public record MemoryDecoherence(double t1Seconds, double t2Seconds)
{
    /**
     * Validates the times.
     *
     * @throws IllegalArgumentException if a time is not finite and positive, or T2 &gt; 2·T1.
     */
    public MemoryDecoherence
    {
        MemoryTimes.validate(t1Seconds, t2Seconds);
    }

    /** @return the pure dephasing rate 1/Tφ = 1/T2 − 1/(2·T1) per second, ≥ 0. */
    public double pureDephasingRate()
    {
        return MemoryTimes.pureDephasingRate(t1Seconds, t2Seconds);
    }

    /**
     * The held pair after storage, starting from a perfect Φ+.
     *
     * @param storageSeconds storage time t, ≥ 0.
     * @return its Bell diagonal as a Pauli channel.
     */
    public PauliChannel ofPerfectPair(final double storageSeconds)
    {
        return apply(PauliChannel.NOISELESS, storageSeconds);
    }

    /**
     * The Bell diagonal of a stored pair after storage.
     *
     * @param held           Bell diagonal of the pair when stored (I = Φ+, X = Ψ+, Z = Φ−, Y = Ψ−).
     * @param storageSeconds storage time t, ≥ 0.
     * @return the Bell diagonal after t seconds in memory.
     */
    public PauliChannel apply(final PauliChannel held, final double storageSeconds)
    {
        if (!(storageSeconds >= 0) || Double.isInfinite(storageSeconds))
        {
            throw new IllegalArgumentException("storage time must be finite and >= 0 s, got " + storageSeconds);
        }
        final double gamma = -Math.expm1(-storageSeconds / t1Seconds);
        final double keep = 1 - gamma;
        final double phiKeep = keep + gamma * gamma / 2;
        final double phiSwap = gamma * gamma / 2;
        final double phiToPsi = gamma * keep / 2;
        final double psiToPhi = gamma / 2;

        final double phiPlus = held.pI();
        final double phiMinus = held.pZ();
        final double psiPlus = held.pX();
        final double psiMinus = held.pY();

        final double outPhiMinus = phiPlus * phiSwap + phiMinus * phiKeep + (psiPlus + psiMinus) * psiToPhi;
        final double outPsiPlus = (phiPlus + phiMinus) * phiToPsi + psiPlus * keep;
        final double outPsiMinus = (phiPlus + phiMinus) * phiToPsi + psiMinus * keep;
        final double bothHalvesDephasing = -Math.expm1(-2 * storageSeconds * pureDephasingRate()) / 2;

        return new PauliChannel(outPsiPlus, outPsiMinus, outPhiMinus, held.fromDamping() || gamma > 0)
            .then(PauliChannel.dephasing(bothHalvesDephasing));
    }
}
