package io.qring.channel.exact;

/** Single-qubit measurement bases used to verify Bell pairs. */
public enum MeasurementBasis
{
    /** The computational basis |0⟩, |1⟩. */
    Z,
    /** The Hadamard basis |+⟩, |−⟩ (measure after H). */
    X
}
