package io.qring.channel.exact;

/** The two halves of an EPR pair in the exact superdense-coding circuit, and the qubit each occupies. */
public enum PairHalf
{
    /** The sender's half: encoded with Z^b1 X^b2 and transmitted (the flying qubit). Qubit 0. */
    A(0),
    /** The receiver's half: stays in the receiver's memory until decoding. Qubit 1. */
    B(1);

    private final int qubit;

    PairHalf(final int qubit)
    {
        this.qubit = qubit;
    }

    /** @return index of the qubit holding this half in the two-qubit register. */
    public int qubit()
    {
        return qubit;
    }
}
