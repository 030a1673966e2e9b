package io.qring.channel.exact;

import java.util.List;

/**
 * Runs the superdense-coding circuit of DESIGN §3 exactly: shared pair (Φ+ unless given), the
 * sender applies Z^b1 X^b2 to half A, the receiver applies CNOT(A→B), H(A) and measures A → b1,
 * B → b2. Kraus channels may be inserted on either half before or after the encoding. Messages and
 * decoded symbols are 2-bit values {@code (b1 << 1) | b2}, the layout of {@code PauliFrame}.
 */
public final class SuperdenseCodingCircuit
{
    /** Number of 2-bit messages. */
    public static final int MESSAGE_COUNT = 4;

    private SuperdenseCodingCircuit()
    {
    }

    /**
     * The exact decoding table starting from Φ+.
     *
     * @param insertions the channels in the circuit, applied in list order within each stage.
     * @return {@code table[sent][decoded]} = P(decoded | sent).
     */
    public static double[][] decodingTable(final ChannelInsertion... insertions)
    {
        return decodingTable(BellStates.phiPlus(), List.of(insertions));
    }

    /**
     * The exact decoding table from a given shared pair.
     *
     * @param sharedPair the two-qubit state shared before encoding (half A on qubit 0; not modified).
     * @param insertions the channels in the circuit, applied in list order within each stage.
     * @return {@code table[sent][decoded]} = P(decoded | sent).
     */
    public static double[][] decodingTable(final DensityMatrix sharedPair, final List<ChannelInsertion> insertions)
    {
        final double[][] table = new double[MESSAGE_COUNT][];
        for (int message = 0; message < MESSAGE_COUNT; message++)
        {
            table[message] = decodedDistribution(sharedPair, message, insertions);
        }
        return table;
    }

    /**
     * The exact distribution of the decoded symbol for one message.
     *
     * @param sharedPair the two-qubit state shared before encoding (not modified).
     * @param message    the sent symbol (b1 &lt;&lt; 1) | b2.
     * @param insertions the channels in the circuit, applied in list order within each stage.
     * @return {@code p[decoded]} = P(decoded | message).
     */
    public static double[] decodedDistribution(
        final DensityMatrix sharedPair, final int message, final List<ChannelInsertion> insertions)
    {
        requireMessage(message);
        if (sharedPair.qubitCount() != 2)
        {
            throw new IllegalArgumentException("the shared pair must have two qubits, got " + sharedPair.qubitCount());
        }
        final DensityMatrix state = sharedPair.copy();
        applyStage(state, insertions, EncodingStage.BEFORE_ENCODING);
        encode(state, message);
        applyStage(state, insertions, EncodingStage.AFTER_ENCODING);
        state.cnot(PairHalf.A.qubit(), PairHalf.B.qubit()).h(PairHalf.A.qubit());
        final double[] distribution = new double[MESSAGE_COUNT];
        for (int basisIndex = 0; basisIndex < MESSAGE_COUNT; basisIndex++)
        {
            distribution[symbolOf(basisIndex)] = state.probability(basisIndex);
        }
        return distribution;
    }

    /**
     * The noiseless circuit on a state vector, up to (not including) the final measurement.
     *
     * @param message the sent symbol (b1 &lt;&lt; 1) | b2.
     * @return the two-qubit state the receiver measures, |b2 b1⟩ in basis index {@link #basisIndexOf(int)}.
     */
    public static StateVector noiselessFinalState(final int message)
    {
        requireMessage(message);
        final StateVector state = BellStates.stateVector(0);
        if ((message & 1) != 0)
        {
            state.x(PairHalf.A.qubit());
        }
        if ((message & 2) != 0)
        {
            state.z(PairHalf.A.qubit());
        }
        return state.cnot(PairHalf.A.qubit(), PairHalf.B.qubit()).h(PairHalf.A.qubit());
    }

    /**
     * @param basisIndex two-qubit basis index, bit 0 = outcome of A (b1), bit 1 = outcome of B (b2).
     * @return the decoded symbol (b1 &lt;&lt; 1) | b2.
     */
    public static int symbolOf(final int basisIndex)
    {
        requireMessage(basisIndex);
        return ((basisIndex & 1) << 1) | (basisIndex >>> 1);
    }

    /**
     * @param symbol a symbol (b1 &lt;&lt; 1) | b2.
     * @return the two-qubit basis index b1 + 2·b2 the receiver measures for it.
     */
    public static int basisIndexOf(final int symbol)
    {
        return symbolOf(symbol);
    }

    private static void encode(final DensityMatrix state, final int message)
    {
        if ((message & 1) != 0)
        {
            state.x(PairHalf.A.qubit());
        }
        if ((message & 2) != 0)
        {
            state.z(PairHalf.A.qubit());
        }
    }

    private static void applyStage(final DensityMatrix state, final List<ChannelInsertion> insertions, final EncodingStage stage)
    {
        for (final ChannelInsertion insertion : insertions)
        {
            if (insertion.stage() == stage)
            {
                state.apply(insertion.half().qubit(), insertion.channel());
            }
        }
    }

    private static void requireMessage(final int message)
    {
        if (message < 0 || message >= MESSAGE_COUNT)
        {
            throw new IllegalArgumentException("a 2-bit symbol must be 0..3, got " + message);
        }
    }
}
