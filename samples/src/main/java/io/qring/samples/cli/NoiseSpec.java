package io.qring.samples.cli;

import io.qring.channel.noise.PauliChannel;
import picocli.CommandLine;

import java.util.Locale;

/**
 * A noise model as written on the command line, and the Pauli channel it stands for:
 * {@code none}, {@code depolarizing:p}, {@code dephasing:q}, {@code bit-flip:q}, {@code amplitude-damping:γ}
 * or {@code werner:F} (a pair of fidelity F).
 *
 * @param text    the specification as given, normalised to lower case.
 * @param channel the channel.
 */
public record NoiseSpec(String text, PauliChannel channel)
{
    /** No noise. */
    public static final NoiseSpec NONE = new NoiseSpec("none", PauliChannel.NOISELESS);
    /** The accepted forms, for help texts and messages. */
    public static final String FORMS = "none, depolarizing:P, dephasing:Q, bit-flip:Q, amplitude-damping:GAMMA or werner:F";

    /**
     * @param text a specification such as {@code depolarizing:1e-3}.
     * @return the parsed noise model.
     * @throws IllegalArgumentException naming the accepted forms if the text is not one of them or its
     *                                  parameter is out of range.
     */
    public static NoiseSpec parse(final String text)
    {
        final String spec = text.strip().toLowerCase(Locale.ROOT);
        if (spec.equals(NONE.text()))
        {
            return NONE;
        }
        final int colon = spec.indexOf(':');
        if (colon < 0)
        {
            throw new IllegalArgumentException("'" + text + "' is not a noise model; use " + FORMS);
        }
        final String model = spec.substring(0, colon);
        final double parameter;
        try
        {
            parameter = Double.parseDouble(spec.substring(colon + 1));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("'" + text + "' needs a number after the colon; use " + FORMS, ex);
        }
        final PauliChannel channel = switch (model)
        {
            case "depolarizing" -> PauliChannel.depolarizing(parameter);
            case "dephasing" -> PauliChannel.dephasing(parameter);
            case "bit-flip" -> PauliChannel.bitFlip(parameter);
            case "amplitude-damping" -> PauliChannel.amplitudeDamping(parameter);
            case "werner" -> PauliChannel.werner(parameter);
            default -> throw new IllegalArgumentException("unknown noise model '" + model + "'; use " + FORMS);
        };
        return new NoiseSpec(spec, channel);
    }

    /** Converts option values with {@link #parse}. */
    public static final class Converter implements CommandLine.ITypeConverter<NoiseSpec>
    {
        @Override
        public NoiseSpec convert(final String value)
        {
            try
            {
                return parse(value);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new CommandLine.TypeConversionException(ex.getMessage());
            }
        }
    }
}
