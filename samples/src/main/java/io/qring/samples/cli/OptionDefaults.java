package io.qring.samples.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.Map;

/**
 * Per-subcommand defaults of options declared once in a shared base class (e.g. {@code --epochs} is 10 for
 * mnist and 1 for cifar10); help texts show them through {@code ${DEFAULT-VALUE}}.
 */
abstract class OptionDefaults implements CommandLine.IDefaultValueProvider
{
    private final Map<String, String> defaults;

    /**
     * @param defaults default value by the option's longest name, e.g. {@code "--epochs" -> "10"}.
     */
    OptionDefaults(final Map<String, String> defaults)
    {
        this.defaults = Map.copyOf(defaults);
    }

    @Override
    public String defaultValue(final ArgSpec argSpec)
    {
        return argSpec instanceof OptionSpec option ? defaults.get(option.longestName()) : null;
    }
}
