package io.qring.channel.verify;

import io.qring.channel.noise.PauliChannel;

/**
 * Eve measures the flying half of a fraction λ of the pairs in the Z basis during distribution and
 * resends what she saw. A Z measurement whose outcome is then forgotten by the endpoints is complete
 * dephasing, ρ → ½ρ + ½ZρZ, so the attack is the dephasing channel q = λ/2 on the distributed pair:
 * it adds λ/2 to the X-basis mismatch rate and nothing in the Z basis, i.e. λ/4 to the QBER of a
 * noiseless link.
 *
 * @param interceptFraction λ, the fraction of pairs Eve intercepts, in [0, 1].
 */
public record InterceptResendEavesdropper(double interceptFraction)
{
    /**
     * Validates the fraction.
     *
     * @throws IllegalArgumentException if λ is not in [0, 1].
     */
    public InterceptResendEavesdropper
    {
        if (!(interceptFraction >= 0 && interceptFraction <= 1))
        {
            throw new IllegalArgumentException("intercept fraction must be in [0, 1], got " + interceptFraction);
        }
    }

    /** @return Eve intercepting every pair. */
    public static InterceptResendEavesdropper everyPair()
    {
        return new InterceptResendEavesdropper(1);
    }

    /** @return the channel the attack applies to a distributed pair, dephasing λ/2. */
    public PauliChannel channel()
    {
        return PauliChannel.dephasing(interceptFraction / 2);
    }

    /**
     * @param distribution the honest distribution channel.
     * @return the distribution channel with the attack composed after it.
     */
    public PauliChannel attack(final PauliChannel distribution)
    {
        return distribution.then(channel());
    }
}
