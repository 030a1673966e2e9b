package io.qring.samples.report;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Everything a report shows.
 *
 * @param title        page title, e.g. {@code "MNIST, 4 ranks"}.
 * @param reproduction command, seed and configuration that reproduce it.
 * @param runs         the runs to compare, with distinct labels.
 */
public record Report(String title, Reproduction reproduction, List<RunRecord> runs)
{
    /**
     * Copies the runs and checks their labels are distinct.
     *
     * @param title        page title, e.g. {@code "MNIST, 4 ranks"}.
     * @param reproduction command, seed and configuration that reproduce it.
     * @param runs         the runs to compare, with distinct labels.
     * @throws IllegalArgumentException if there is no run or two runs share a label.
     */
    public Report
    {
        runs = List.copyOf(runs);
        if (runs.isEmpty())
        {
            throw new IllegalArgumentException("a report needs at least one run");
        }
        final Set<String> labels = new HashSet<>();
        for (final RunRecord run : runs)
        {
            if (!labels.add(run.label()))
            {
                throw new IllegalArgumentException("run labels must be distinct: " + run.label());
            }
        }
    }
}
