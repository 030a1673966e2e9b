package io.qring.samples.report;

import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * The cells of the two summary tables (runs, and per-link ledger totals), shared by the console
 * table and the HTML page so both show the same figures under the same names.
 */
final class SummaryRows
{
    private static final String QUBITS_PER_CLASSICAL_EQUIVALENT = "qubits / classical-equivalent";
    private static final String GOODPUT = "goodput (bits/qubit)";
    private static final String CAPACITY = "capacity (bits/qubit)";
    private static final String MODELLED_ONLINE_TIME = "modelled online time (s)";
    static final String MISSING = "-";
    static final List<String> RUN_HEADER = List.of("run", "iterations", "final loss", "test accuracy", "wall time (s)",
        "final state (CRC-32)", "ranks agree");
    /** The ledger table's column of every {@link LedgerCounter} (the HTML page shows them all). */
    static final Map<LedgerCounter, String> COUNTER_COLUMNS = counterColumns();
    static final List<String> LEDGER_HEADER = List.of("run", "link", column(LedgerCounter.PAYLOAD_BITS),
        column(LedgerCounter.ONLINE_QUBITS), column(LedgerCounter.ONLINE_CLASSICAL_BITS),
        column(LedgerCounter.CLASSICAL_EQUIVALENT_BITS), QUBITS_PER_CLASSICAL_EQUIVALENT, column(LedgerCounter.EPR_PRE_SHARED),
        column(LedgerCounter.OFFLINE_QUBITS), column(LedgerCounter.EPR_CONSUMED), column(LedgerCounter.EPR_SACRIFICED),
        column(LedgerCounter.RETRANSMITTED_QUBITS), column(LedgerCounter.FALLBACK_CLASSICAL_BITS),
        column(LedgerCounter.VERIFICATION_ALARMS), column(LedgerCounter.MESSAGES), column(LedgerCounter.REJECTED_FRAMES), GOODPUT,
        CAPACITY, MODELLED_ONLINE_TIME);

    private SummaryRows()
    {
    }

    static List<List<String>> runRows(final List<RunRecord> runs)
    {
        final List<List<String>> rows = new ArrayList<>();
        for (final RunRecord run : runs)
        {
            final OptionalDouble accuracy = run.finalTestAccuracy();
            rows.add(List.of(
                run.label(),
                count(run.iterations().size()),
                decimal(run.finalLoss(), 4),
                accuracy.isPresent() ? String.format(Locale.ROOT, "%.2f %%", 100.0 * accuracy.getAsDouble()) : MISSING,
                String.format(Locale.ROOT, "%.1f", run.wallSeconds()),
                run.finalState().map(FinalState::crcHex).orElse(MISSING),
                run.finalState().map(state -> state.ranksAgree() ? "yes" : "no (CRC of rank 0)").orElse(MISSING)));
        }
        return rows;
    }

    static List<List<String>> ledgerRows(final List<RunRecord> runs)
    {
        final List<List<String>> rows = new ArrayList<>();
        for (final RunRecord run : runs)
        {
            final Map<String, LedgerSnapshot> totals = run.linkTotals();
            for (final LedgerSnapshot link : totals.values())
            {
                rows.add(ledgerRow(run, link));
            }
            if (totals.size() > 1)
            {
                rows.add(ledgerRow(run, run.ringTotal()));
            }
        }
        return rows;
    }

    private static List<String> ledgerRow(final RunRecord run, final LedgerSnapshot totals)
    {
        final List<String> row = new ArrayList<>();
        row.add(run.label());
        row.add(totals.link());
        for (final String column : LEDGER_HEADER.subList(2, LEDGER_HEADER.size()))
        {
            row.add(cell(column, run, totals));
        }
        return row;
    }

    private static String cell(final String column, final RunRecord run, final LedgerSnapshot totals)
    {
        final long qubits = totals.get(LedgerCounter.ONLINE_QUBITS);
        return switch (column)
        {
            case QUBITS_PER_CLASSICAL_EQUIVALENT ->
            {
                final long classicalEquivalent = totals.get(LedgerCounter.CLASSICAL_EQUIVALENT_BITS);
                yield qubits == 0 || classicalEquivalent == 0 ? MISSING :
                    String.format(Locale.ROOT, "%.4f", (double)qubits / classicalEquivalent);
            }
            case GOODPUT -> qubits == 0 ? MISSING : String.format(Locale.ROOT, "%.4f", totals.goodputBitsPerQubit());
            case CAPACITY -> qubits == 0 ? MISSING : String.format(Locale.ROOT, "%.4f", totals.capacityBitsPerQubit());
            case MODELLED_ONLINE_TIME ->
            {
                final Double modelled = run.modelledOnlineSeconds().get(totals.link());
                yield modelled == null ? MISSING : String.format(Locale.ROOT, "%.6f", modelled);
            }
            default -> count(totals.get(counter(column)));
        };
    }

    private static LedgerCounter counter(final String column)
    {
        return COUNTER_COLUMNS.entrySet().stream().filter(entry -> entry.getValue().equals(column)).map(Map.Entry::getKey)
            .findFirst().orElseThrow(() -> new IllegalStateException("no ledger counter shown as " + column));
    }

    private static String column(final LedgerCounter counter)
    {
        return COUNTER_COLUMNS.get(counter);
    }

    private static Map<LedgerCounter, String> counterColumns()
    {
        final Map<LedgerCounter, String> columns = new EnumMap<>(LedgerCounter.class);
        columns.put(LedgerCounter.PAYLOAD_BITS, "payload bits");
        columns.put(LedgerCounter.ONLINE_QUBITS, "online qubits");
        columns.put(LedgerCounter.ONLINE_CLASSICAL_BITS, "online classical bits");
        columns.put(LedgerCounter.EPR_PRE_SHARED, "EPR pre-shared");
        columns.put(LedgerCounter.EPR_CONSUMED, "EPR consumed");
        columns.put(LedgerCounter.EPR_SACRIFICED, "EPR sacrificed");
        columns.put(LedgerCounter.OFFLINE_QUBITS, "offline qubits");
        columns.put(LedgerCounter.RETRANSMITTED_QUBITS, "retransmitted qubits");
        columns.put(LedgerCounter.CLASSICAL_EQUIVALENT_BITS, "classical-equivalent bits");
        columns.put(LedgerCounter.FALLBACK_CLASSICAL_BITS, "fallback classical bits");
        columns.put(LedgerCounter.VERIFICATION_ALARMS, "verification alarms");
        columns.put(LedgerCounter.MESSAGES, "messages");
        columns.put(LedgerCounter.REJECTED_FRAMES, "rejected frames");
        return Collections.unmodifiableMap(columns);
    }

    private static String count(final long value)
    {
        return String.format(Locale.ROOT, "%,d", value);
    }

    private static String decimal(final OptionalDouble value, final int digits)
    {
        return value.isPresent() ? String.format(Locale.ROOT, "%." + digits + "f", value.getAsDouble()) : MISSING;
    }
}
