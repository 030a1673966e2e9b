package io.qring.samples.launcher;

import io.qring.channel.ledger.LinkLedger;
import io.qring.channel.verify.InterceptResendEavesdropper;

import java.util.Objects;

/**
 * An intercept-resend eavesdropper on the EPR pairs of one directed link of the ring, as chosen on
 * the command line ({@code FROM->TO} or {@code FROM->TO:FRACTION}).
 *
 * @param fromRank     rank that sends on the link.
 * @param toRank       rank that receives on it.
 * @param eavesdropper the attack: the fraction of the link's pairs measured in Z while distributed.
 */
public record EavesdroppedLink(int fromRank, int toRank, InterceptResendEavesdropper eavesdropper)
{
    /**
     * Checks the parts; whether the ring has the link is checked with the ring's size, by
     * {@code QuantumLinkSettings}.
     *
     * @param fromRank     rank that sends on the link, ≥ 0.
     * @param toRank       rank that receives on it, ≥ 0 and not {@code fromRank}.
     * @param eavesdropper the attack.
     */
    public EavesdroppedLink
    {
        Objects.requireNonNull(eavesdropper, "eavesdropper");
        if (fromRank < 0 || toRank < 0 || fromRank == toRank)
        {
            throw new IllegalArgumentException("an eavesdropped link runs between two different ranks ≥ 0, got " +
                LinkLedger.linkName(fromRank, toRank));
        }
    }

    /**
     * @param text {@code FROM->TO} (every pair) or {@code FROM->TO:FRACTION}, e.g. {@code 1->2:0.5}.
     * @return the eavesdropped link.
     * @throws IllegalArgumentException naming the accepted form if the text is not it, or the fraction
     *                                  is outside [0, 1].
     */
    public static EavesdroppedLink parse(final String text)
    {
        final String spec = text.strip();
        final int arrow = spec.indexOf("->");
        final int colon = spec.indexOf(':');
        if (arrow < 0 || (colon >= 0 && colon < arrow))
        {
            throw notALink(text, null);
        }
        final String target = colon < 0 ? spec : spec.substring(0, colon);
        try
        {
            final int from = Integer.parseInt(target.substring(0, arrow).strip());
            final int to = Integer.parseInt(target.substring(arrow + 2).strip());
            final double fraction = colon < 0 ? 1.0 : Double.parseDouble(spec.substring(colon + 1).strip());
            return new EavesdroppedLink(from, to, new InterceptResendEavesdropper(fraction));
        }
        catch (final NumberFormatException ex)
        {
            throw notALink(text, ex);
        }
    }

    private static IllegalArgumentException notALink(final String text, final NumberFormatException cause)
    {
        final String redirected = text.strip().endsWith("-") ?
            " (a shell reads an unquoted > as a redirection, so the link was cut at it)" : "";
        return new IllegalArgumentException("'" + text + "' is not an eavesdropped link" + redirected +
            "; use FROM->TO (every pair) or FROM->TO:FRACTION, quoted in a shell, e.g. '1->2' or '1->2:0.5'", cause);
    }

    /** @return the link's name, {@code FROM->TO}, as the ledger names it. */
    public String link()
    {
        return LinkLedger.linkName(fromRank, toRank);
    }

    /** @return the command-line form, e.g. {@code 1->2:0.5}. */
    public String text()
    {
        return link() + ":" + eavesdropper.interceptFraction();
    }
}
