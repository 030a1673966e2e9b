package io.qring.channel.ledger;

/**
 * What a {@link LinkLedger} counts for one directed link. The names are used verbatim as JSON/CSV
 * keys and in every report, so one thing has one name across code, docs and output.
 */
public enum LedgerCounter
{
    /** Bits of user payload the link delivered (what the application asked to move). */
    PAYLOAD_BITS("payloadBits"),
    /** Qubits sent over the quantum channel during the online phase (superdense symbols, first sends). */
    ONLINE_QUBITS("onlineQubits"),
    /** Classical bits sent during the online phase: headers, checksums, acks, verification announcements. */
    ONLINE_CLASSICAL_BITS("onlineClassicalBits"),
    /** EPR pairs distributed to the link's pool ahead of use. */
    EPR_PRE_SHARED("eprPreShared"),
    /** EPR pairs used to carry superdense symbols (first sends and retransmissions). */
    EPR_CONSUMED("eprConsumed"),
    /** EPR pairs measured for verification and therefore not usable for payload. */
    EPR_SACRIFICED("eprSacrificed"),
    /** Qubits sent offline to distribute EPR pairs (one per pair). */
    OFFLINE_QUBITS("offlineQubits"),
    /** Qubits sent again because a frame failed its integrity check. */
    RETRANSMITTED_QUBITS("retransmittedQubits"),
    /** Bits a classical link would have sent for the same payload and framing. */
    CLASSICAL_EQUIVALENT_BITS("classicalEquivalentBits"),
    /** Bits sent over the classical fallback link after a verification alarm. */
    FALLBACK_CLASSICAL_BITS("fallbackClassicalBits"),
    /** Verification rounds that raised an alarm. */
    VERIFICATION_ALARMS("verificationAlarms"),
    /**
     * Messages the ring engine sent over the link (descriptors and chunks; not a link's own control
     * frames or repairs). The engine exchanges them in lockstep, one per link per round, so each costs
     * the collective one hop of latency.
     */
    MESSAGES("messages"),
    /**
     * Frames that reached an end of the link on its authenticated stream and were dropped, nothing of
     * them delivered: malformed, truncated, failing authentication, from another ring or protocol
     * version, addressed to another link, replayed, or out of sequence (which also fails the link).
     * Counted by the end that dropped them, in that end's ledger; 0 on a link only its ring's ranks use.
     */
    REJECTED_FRAMES("rejectedFrames");

    private final String key;

    LedgerCounter(final String key)
    {
        this.key = key;
    }

    /** @return the camelCase key used in JSON and CSV exports. */
    public String key()
    {
        return key;
    }
}
