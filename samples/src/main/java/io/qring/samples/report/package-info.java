/**
 * The run report: per-iteration records of one or more training runs (typically the quantum ring and
 * the classical ring side by side) turned into PNG charts, a self-contained HTML page, the raw link
 * ledger as JSON and CSV, the command and seed that reproduce the run, and a console summary table.
 */
package io.qring.samples.report;
