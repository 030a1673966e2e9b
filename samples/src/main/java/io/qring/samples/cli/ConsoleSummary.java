package io.qring.samples.cli;

import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;
import io.qring.samples.launcher.LinkKind;
import io.qring.samples.launcher.RunOutcome;
import io.qring.samples.report.Evaluation;
import io.qring.samples.report.FinalState;
import io.qring.samples.report.SummaryTable;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The console summary after a launch: the summary table, the ledger ratio of online qubits to classical
 * bits, whether ranks and runs ended in the same state, and when the test accuracy target was reached.
 */
final class ConsoleSummary
{
    private ConsoleSummary()
    {
    }

    static void print(final PrintWriter out, final List<RunOutcome> outcomes)
    {
        out.println();
        out.print(SummaryTable.format(outcomes.stream().map(RunOutcome::record).toList()));
        out.println();
        final Optional<RunOutcome> quantum = find(outcomes, LinkKind.QUANTUM);
        final Optional<RunOutcome> classical = find(outcomes, LinkKind.CLASSICAL);
        quantum.ifPresent(q -> printRatio(out, q.record().ringTotal(), classical.map(c -> c.record().ringTotal())));
        out.println(stateLine(outcomes));
        printAccuracyTarget(out, outcomes);
        out.flush();
    }

    private static void printRatio(final PrintWriter out, final LedgerSnapshot quantum, final Optional<LedgerSnapshot> classical)
    {
        final long qubits = quantum.get(LedgerCounter.ONLINE_QUBITS);
        if (classical.isPresent())
        {
            final long bits = classical.get().get(LedgerCounter.ONLINE_CLASSICAL_BITS);
            final long payload = classical.get().get(LedgerCounter.PAYLOAD_BITS);
            out.printf(Locale.ROOT, "Ledger ratio, all links: online qubits (quantum ring) / online classical bits (classical ring) = " +
                "%,d / %,d = %.4f%n", qubits, bits, ratio(qubits, bits));
            out.printf(Locale.ROOT, "                         online qubits (quantum ring) / payload bits (classical ring)          = " +
                "%,d / %,d = %.4f  (superdense coding: 2 bits per qubit)%n", qubits, payload, ratio(qubits, payload));
        }
        else
        {
            final long payload = quantum.get(LedgerCounter.PAYLOAD_BITS);
            out.printf(Locale.ROOT, "Ledger ratio, all links: online qubits / payload bits = %,d / %,d = %.4f  " +
                "(superdense coding: 2 bits per qubit)%n", qubits, payload, ratio(qubits, payload));
        }
    }

    /**
     * @param outcomes the runs.
     * @return each run's final-state checksum and whether its ranks agree, then, for several runs, whether
     *         they ended identical: only said of runs whose ranks all agree, since rank 0's checksum stands
     *         for a run only then.
     */
    static String stateLine(final List<RunOutcome> outcomes)
    {
        final StringBuilder line = new StringBuilder("Final state (CRC-32 of parameters or result):");
        for (final RunOutcome outcome : outcomes)
        {
            final FinalState state = outcome.finalState();
            line.append(' ').append(outcome.kind().label()).append(' ').append(state.crcHex())
                .append(state.ranksAgree() ? " on every rank;" : " on rank 0, ranks differ;");
        }
        if (outcomes.size() > 1)
        {
            final boolean ranksAgree = outcomes.stream().allMatch(RunOutcome::ranksAgree);
            final boolean identical = outcomes.stream().mapToLong(RunOutcome::finalStateCrc).distinct().count() == 1;
            line.append(!ranksAgree ? " runs not compared (ranks differ)" : identical ? " runs identical" : " runs differ");
        }
        return line.toString().replaceAll(";$", "");
    }

    private static void printAccuracyTarget(final PrintWriter out, final List<RunOutcome> outcomes)
    {
        for (final RunOutcome outcome : outcomes)
        {
            final List<Evaluation> evaluations = outcome.record().evaluations();
            if (evaluations.isEmpty())
            {
                continue;
            }
            int reached = 0;
            double best = 0;
            for (int epoch = 1; epoch <= evaluations.size(); epoch++)
            {
                final double accuracy = evaluations.get(epoch - 1).testAccuracy();
                best = Math.max(best, accuracy);
                if (0 == reached && accuracy >= Evaluation.TARGET_TEST_ACCURACY)
                {
                    reached = epoch;
                }
            }
            out.printf(Locale.ROOT, "%-9s test accuracy %.2f %% after %d epochs; %s%n", outcome.kind().label(),
                100.0 * evaluations.get(evaluations.size() - 1).testAccuracy(), evaluations.size(),
                reached > 0 ?
                    String.format(Locale.ROOT, "%.0f %% first reached after epoch %d", 100 * Evaluation.TARGET_TEST_ACCURACY, reached) :
                    String.format(Locale.ROOT, "%.0f %% not reached (best %.2f %%)", 100 * Evaluation.TARGET_TEST_ACCURACY, 100.0 * best));
        }
    }

    private static Optional<RunOutcome> find(final List<RunOutcome> outcomes, final LinkKind kind)
    {
        return outcomes.stream().filter(outcome -> outcome.kind() == kind).findFirst();
    }

    private static double ratio(final long numerator, final long denominator)
    {
        return 0 == denominator ? Double.NaN : (double)numerator / denominator;
    }
}
