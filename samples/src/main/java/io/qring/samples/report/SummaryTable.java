package io.qring.samples.report;

import java.util.Arrays;
import java.util.List;

/**
 * The console summary printed at the end of a run: per run the iterations, final loss, test accuracy
 * and wall time; per run and link the ledger totals (online qubits vs online classical bits and the
 * classical-equivalent bits, EPR pairs consumed and sacrificed, retransmitted qubits, goodput, modelled
 * online time). The HTML page shows every ledger column.
 */
public final class SummaryTable
{
    private static final String COLUMN_GAP = "  ";
    /** The ledger columns shown on the console (the HTML page shows them all). */
    private static final List<String> CONSOLE_LEDGER_COLUMNS = List.of("run", "link", "online qubits",
        "online classical bits", "classical-equivalent bits", "qubits / classical-equivalent", "EPR consumed",
        "EPR sacrificed", "retransmitted qubits", "goodput (bits/qubit)", "modelled online time (s)");

    private SummaryTable()
    {
    }

    /**
     * @param runs the runs to summarise.
     * @return the two tables as plain text, lines separated by {@code \n}, ending with a newline.
     */
    public static String format(final List<RunRecord> runs)
    {
        final int[] columns = CONSOLE_LEDGER_COLUMNS.stream().mapToInt(SummaryRows.LEDGER_HEADER::indexOf).toArray();
        final List<List<String>> ledgerRows = SummaryRows.ledgerRows(runs).stream().map(row -> select(row, columns)).toList();
        return render(SummaryRows.RUN_HEADER, SummaryRows.runRows(runs), 1) + "\nLink ledger (totals over the run)\n" +
            render(CONSOLE_LEDGER_COLUMNS, ledgerRows, 2);
    }

    private static List<String> select(final List<String> row, final int[] columns)
    {
        return Arrays.stream(columns).mapToObj(row::get).toList();
    }

    private static String render(final List<String> header, final List<List<String>> rows, final int nameColumns)
    {
        final int[] widths = new int[header.size()];
        for (int c = 0; c < widths.length; c++)
        {
            widths[c] = header.get(c).length();
            for (final List<String> row : rows)
            {
                widths[c] = Math.max(widths[c], row.get(c).length());
            }
        }
        final StringBuilder text = new StringBuilder();
        appendLine(text, header, widths, nameColumns);
        final StringBuilder rule = new StringBuilder();
        for (int c = 0; c < widths.length; c++)
        {
            rule.append(c == 0 ? "" : COLUMN_GAP).append("-".repeat(widths[c]));
        }
        text.append(rule).append('\n');
        for (final List<String> row : rows)
        {
            appendLine(text, row, widths, nameColumns);
        }
        return text.toString();
    }

    private static void appendLine(
        final StringBuilder text, final List<String> cells, final int[] widths, final int nameColumns)
    {
        final StringBuilder line = new StringBuilder();
        for (int c = 0; c < widths.length; c++)
        {
            final String cell = cells.get(c);
            final String padding = " ".repeat(widths[c] - cell.length());
            line.append(c == 0 ? "" : COLUMN_GAP);
            // Names (run, link) read left-aligned; figures right-aligned.
            if (c < nameColumns)
            {
                line.append(cell).append(padding);
            }
            else
            {
                line.append(padding).append(cell);
            }
        }
        text.append(line.toString().stripTrailing()).append('\n');
    }
}
