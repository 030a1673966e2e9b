package io.qring.samples.report;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What reproduces a report exactly: the command line, the seed and the resolved configuration
 * (including the data source).
 *
 * @param commandLine   the exact command that was run.
 * @param seed          the seed of data order, model initialisation and channel noise.
 * @param configuration resolved settings, in a stable order (e.g. a {@code LinkedHashMap}).
 */
public record Reproduction(String commandLine, long seed, Map<String, String> configuration)
{
    /**
     * Copies the configuration, keeping its order.
     *
     * @param commandLine   the exact command that was run.
     * @param seed          the seed of data order, model initialisation and channel noise.
     * @param configuration resolved settings, in a stable order (e.g. a {@code LinkedHashMap}).
     */
    public Reproduction
    {
        configuration = Collections.unmodifiableMap(new LinkedHashMap<>(configuration));
    }
}
