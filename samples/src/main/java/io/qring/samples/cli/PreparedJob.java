package io.qring.samples.cli;

import io.qring.samples.launcher.RankJob;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A subcommand's job, ready to launch, with what the console and the report say about it.
 *
 * @param job        what every rank runs.
 * @param iterations iterations every rank runs (for the progress bar).
 * @param epochs     epochs (for progress messages; 0 when the job does not train).
 * @param title      report title, e.g. {@code "MNIST, 4 ranks, sync mode"}.
 * @param settings   the job's resolved settings, in display order.
 * @param shared     the settings every rank of the job must share, checked when its rings connect
 *                   ({@link io.qring.allreduce.config.RingContext#sharedSettings(Map)}).
 */
public record PreparedJob(RankJob job, long iterations, int epochs, String title, Map<String, String> settings,
    Map<String, String> shared)
{
    /**
     * Copies the settings, keeping their order.
     *
     * @param job        what every rank runs.
     * @param iterations iterations every rank runs.
     * @param epochs     epochs, or 0.
     * @param title      report title.
     * @param settings   the job's resolved settings.
     * @param shared     the settings every rank must share.
     */
    public PreparedJob
    {
        settings = new LinkedHashMap<>(settings);
        shared = Map.copyOf(shared);
    }
}
