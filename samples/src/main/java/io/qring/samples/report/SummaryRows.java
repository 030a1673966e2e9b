package io.qring.samples.report;

import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;

import java.util.ArrayList;
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
    static final String MISSING = "-";
    static final List<String> RUN_HEADER = List.of("run", "iterations", "final loss", "test accuracy", "wall time (s)");
    static final List<String> LEDGER_HEADER = List.of("run", "link", "online qubits", "online classical bits",
        "classical-equivalent bits", "qubits / classical-equivalent", "EPR pre-shared", "EPR consumed", "EPR sacrificed",
        "retransmitted qubits", "fallback classical bits", "verification alarms", "goodput (bits/qubit)",
        "capacity (bits/qubit)", "modelled online time (s)");

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
                String.format(Locale.ROOT, "%.1f", run.wallSeconds())));
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
        final long qubits = totals.get(LedgerCounter.ONLINE_QUBITS);
        final long classicalEquivalent = totals.get(LedgerCounter.CLASSICAL_EQUIVALENT_BITS);
        final Double modelled = run.modelledOnlineSeconds().get(totals.link());
        return List.of(
            run.label(),
            totals.link(),
            count(qubits),
            count(totals.get(LedgerCounter.ONLINE_CLASSICAL_BITS)),
            count(classicalEquivalent),
            qubits == 0 || classicalEquivalent == 0 ? MISSING :
                String.format(Locale.ROOT, "%.4f", (double)qubits / classicalEquivalent),
            count(totals.get(LedgerCounter.EPR_PRE_SHARED)),
            count(totals.get(LedgerCounter.EPR_CONSUMED)),
            count(totals.get(LedgerCounter.EPR_SACRIFICED)),
            count(totals.get(LedgerCounter.RETRANSMITTED_QUBITS)),
            count(totals.get(LedgerCounter.FALLBACK_CLASSICAL_BITS)),
            count(totals.get(LedgerCounter.VERIFICATION_ALARMS)),
            qubits == 0 ? MISSING : String.format(Locale.ROOT, "%.4f", totals.goodputBitsPerQubit()),
            qubits == 0 ? MISSING : String.format(Locale.ROOT, "%.4f", totals.capacityBitsPerQubit()),
            modelled == null ? MISSING : String.format(Locale.ROOT, "%.6f", modelled));
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
