package io.qring.samples.launcher;

import java.util.Locale;

/** What carries a ring's payload: superdense-coded qubits over pre-shared EPR pairs, or plain classical bits. */
public enum LinkKind
{
    /** Quantum links: payload superdense-coded over the links' EPR pools. */
    QUANTUM,
    /** Classical links: the same ring with no link wrapper. */
    CLASSICAL;

    /** @return the run label used in tables, charts and the report, e.g. {@code "quantum"}. */
    public String label()
    {
        return name().toLowerCase(Locale.ROOT);
    }
}
