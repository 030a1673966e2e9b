package io.qring.samples.cli;

import io.qring.samples.launcher.EavesdroppedLink;
import picocli.CommandLine;

/** Reads {@code --eavesdrop FROM->TO[:FRACTION]}, naming the accepted form when the value is not it. */
public final class EavesdropConverter implements CommandLine.ITypeConverter<EavesdroppedLink>
{
    @Override
    public EavesdroppedLink convert(final String value)
    {
        try
        {
            return EavesdroppedLink.parse(value);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new CommandLine.TypeConversionException(ex.getMessage());
        }
    }
}
