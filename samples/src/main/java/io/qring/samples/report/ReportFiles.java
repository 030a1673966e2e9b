package io.qring.samples.report;

import java.nio.file.Path;
import java.util.List;

/**
 * The files a report was written to.
 *
 * @param directory     the report directory.
 * @param index         the HTML page.
 * @param charts        the PNG charts that had data to show.
 * @param ledgerJson    raw per-iteration, per-link ledger and totals as JSON.
 * @param ledgerCsv     raw per-iteration, per-link ledger as CSV.
 * @param trainingCsv   loss and test accuracy per iteration as CSV.
 * @param qberCsv       QBER estimates per link and verification round as CSV.
 * @param reproduceText command line, seed and configuration as text.
 * @param reproduceJson command line, seed and configuration as JSON.
 */
public record ReportFiles(Path directory, Path index, List<Path> charts, Path ledgerJson, Path ledgerCsv, Path trainingCsv,
    Path qberCsv, Path reproduceText, Path reproduceJson)
{
    /**
     * Copies the chart list.
     *
     * @param directory     the report directory.
     * @param index         the HTML page.
     * @param charts        the PNG charts that had data to show.
     * @param ledgerJson    raw per-iteration, per-link ledger and totals as JSON.
     * @param ledgerCsv     raw per-iteration, per-link ledger as CSV.
     * @param trainingCsv   loss and test accuracy per iteration as CSV.
     * @param qberCsv       QBER estimates per link and verification round as CSV.
     * @param reproduceText command line, seed and configuration as text.
     * @param reproduceJson command line, seed and configuration as JSON.
     */
    public ReportFiles
    {
        charts = List.copyOf(charts);
    }
}
