package io.qring.samples.report;

import io.qring.channel.ledger.LedgerCounter;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The console summary printed at the end of a run: per run the iterations, final loss, test accuracy
 * and wall time; per run and link the ledger totals (online qubits vs online classical bits and the
 * classical-equivalent bits, EPR pairs consumed and sacrificed, retransmitted qubits, the fallback
 * classical bits and verification alarms when a link raised one, the rejected frames when a link dropped
 * one, goodput, modelled online time). The HTML page shows every column of both tables: per run also the
 * final-state checksum and whether the ranks agree (the console prints those on a line of their own), per
 * link every ledger counter, the capacity bound and the qubits per classical-equivalent bit.
 */
public final class SummaryTable
{
    private static final String COLUMN_GAP = "  ";
    /** The run columns shown on the console (the HTML page shows them all). */
    private static final List<String> CONSOLE_RUN_COLUMNS = List.of("run", "iterations", "final loss", "test accuracy",
        "wall time (s)");
    /** The ledger columns shown on the console (the HTML page shows them all). */
    private static final List<String> CONSOLE_LEDGER_COLUMNS = List.of("run", "link", "online qubits",
        "online classical bits", "classical-equivalent bits", "qubits / classical-equivalent", "EPR consumed",
        "EPR sacrificed", "retransmitted qubits", "goodput (bits/qubit)", "modelled online time (s)");
    /** The ledger columns the console adds, after the retransmitted qubits, when a link raised an alarm. */
    private static final List<String> ALARM_COLUMNS = List.of("fallback classical bits", "verification alarms");
    /** The ledger column the console adds, before the goodput, when a link dropped a frame. */
    private static final String REJECTED_COLUMN = SummaryRows.COUNTER_COLUMNS.get(LedgerCounter.REJECTED_FRAMES);

    private SummaryTable()
    {
    }

    /**
     * @param runs the runs to summarise.
     * @return the two tables as plain text, lines separated by {@code \n}, ending with a newline.
     */
    public static String format(final List<RunRecord> runs)
    {
        final List<List<String>> allRows = SummaryRows.ledgerRows(runs);
        final List<String> shown = consoleColumns(allRows);
        return render(CONSOLE_RUN_COLUMNS, select(SummaryRows.runRows(runs), SummaryRows.RUN_HEADER, CONSOLE_RUN_COLUMNS), 1) +
            "\nLink ledger (totals over the run)\n" + render(shown, select(allRows, SummaryRows.LEDGER_HEADER, shown), 2);
    }

    private static List<String> consoleColumns(final List<List<String>> rows)
    {
        final List<String> columns = new ArrayList<>(CONSOLE_LEDGER_COLUMNS);
        if (anyNonZero(rows, "verification alarms"))
        {
            columns.addAll(columns.indexOf("retransmitted qubits") + 1, ALARM_COLUMNS);
        }
        if (anyNonZero(rows, REJECTED_COLUMN))
        {
            columns.add(columns.indexOf("goodput (bits/qubit)"), REJECTED_COLUMN);
        }
        return columns;
    }

    private static boolean anyNonZero(final List<List<String>> rows, final String column)
    {
        final int index = SummaryRows.LEDGER_HEADER.indexOf(column);
        return rows.stream().anyMatch(row -> !"0".equals(row.get(index)));
    }

    private static List<List<String>> select(final List<List<String>> rows, final List<String> header, final List<String> shown)
    {
        final int[] columns = shown.stream().mapToInt(header::indexOf).toArray();
        return rows.stream().map(row -> Arrays.stream(columns).mapToObj(row::get).toList()).toList();
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
