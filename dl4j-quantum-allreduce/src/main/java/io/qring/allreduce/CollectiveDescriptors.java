package io.qring.allreduce;

import io.qring.allreduce.config.NonFinitePolicy;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * The descriptors the ranks all-gather before a collective moves any data, one {@link #LENGTH}-byte slot
 * per rank, slot r holding rank r's, in one buffer it owns; each descriptor is laid out as the
 * "Agreement" paragraph of {@link RingAllReduce}'s class comment gives.
 * <p>
 * Once every slot is filled, {@link #check} runs the same checks on every rank, so every rank accepts
 * the collective or every rank throws the same exception. Not thread-safe: one per ring engine.
 */
final class CollectiveDescriptors
{
    /** Bytes of one rank's descriptor. */
    static final int LENGTH = 48;
    /** Kind of an all-reduce of floats. */
    static final byte KIND_FLOAT = 1;
    /** Kind of an all-reduce of doubles. */
    static final byte KIND_DOUBLE = 2;
    /** Kind of an all-gather of bytes. */
    static final byte KIND_GATHER = 3;
    /** Operation byte of a user's all-gather. */
    static final byte GATHER_BYTES = -1;
    /** Operation byte of the gather inside {@code gatherRingLedgers()}, so it never pairs with a user's all-gather. */
    static final byte GATHER_LEDGERS = 1;

    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    private static final int OPERATION_OFFSET = 0;
    private static final int RANK_OFFSET = 8;
    private static final int KIND_OFFSET = 12;
    private static final int OP_OFFSET = 13;
    private static final int POLICY_OFFSET = 14;
    private static final int LENGTH_OFFSET = 16;
    private static final int CHUNK_OFFSET = 24;
    private static final int NON_FINITE_INDEX_OFFSET = 32;
    private static final int NON_FINITE_VALUE_OFFSET = 40;

    private final UnsafeBuffer buffer;
    private final int worldSize;

    /**
     * @param worldSize ranks of the ring, one slot each.
     */
    CollectiveDescriptors(final int worldSize)
    {
        this.worldSize = worldSize;
        this.buffer = new UnsafeBuffer(new byte[worldSize * LENGTH]);
    }

    /**
     * @return the buffer of all slots, slot r at {@link #offset offset(r)}, to send a slot from.
     */
    DirectBuffer buffer()
    {
        return buffer;
    }

    /**
     * @param slot a rank.
     * @return where that rank's descriptor starts in {@link #buffer()}.
     */
    static int offset(final int slot)
    {
        return slot * LENGTH;
    }

    /**
     * Clears every slot and writes this rank's descriptor of a new collective into its own.
     *
     * @param rank           this rank, whose slot is written.
     * @param operation      the collective's number on this rank.
     * @param kind           {@link #KIND_FLOAT}, {@link #KIND_DOUBLE} or {@link #KIND_GATHER}.
     * @param op             the {@link ReduceOp} ordinal of an all-reduce, {@link #GATHER_BYTES} or
     *                       {@link #GATHER_LEDGERS} for a gather.
     * @param policy         this rank's non-finite policy.
     * @param length         elements (or bytes, for a gather) of this rank's input.
     * @param chunkLength    the largest chunk this rank sends and takes, in bytes.
     * @param nonFiniteIndex index of this rank's first non-finite input, or −1.
     * @param nonFiniteValue that input's value; 0 if none.
     */
    void writeOwn(
        final int rank,
        final long operation,
        final byte kind,
        final byte op,
        final NonFinitePolicy policy,
        final long length,
        final int chunkLength,
        final long nonFiniteIndex,
        final double nonFiniteValue)
    {
        final int own = offset(rank);
        buffer.setMemory(0, buffer.capacity(), (byte)0);
        buffer.putLong(own + OPERATION_OFFSET, operation, ORDER);
        buffer.putInt(own + RANK_OFFSET, rank, ORDER);
        buffer.putByte(own + KIND_OFFSET, kind);
        buffer.putByte(own + OP_OFFSET, op);
        buffer.putByte(own + POLICY_OFFSET, (byte)policy.ordinal());
        buffer.putLong(own + LENGTH_OFFSET, length, ORDER);
        buffer.putInt(own + CHUNK_OFFSET, chunkLength, ORDER);
        buffer.putLong(own + NON_FINITE_INDEX_OFFSET, nonFiniteIndex, ORDER);
        buffer.putDouble(own + NON_FINITE_VALUE_OFFSET, nonFiniteValue, ORDER);
    }

    /**
     * Copies a descriptor received from the ring into its slot.
     *
     * @param slot   the rank whose descriptor it is.
     * @param source buffer holding it.
     * @param offset where it starts in {@code source}.
     */
    void copyIn(final int slot, final DirectBuffer source, final int offset)
    {
        buffer.putBytes(offset(slot), source, offset, LENGTH);
    }

    /**
     * @param slot a rank.
     * @return the length that rank's descriptor gives.
     */
    long length(final int slot)
    {
        return buffer.getLong(offset(slot) + LENGTH_OFFSET, ORDER);
    }

    /**
     * Checks every slot, in an order every rank shares: each slot holds its own rank's descriptor; all
     * ranks called the same collective (number, kind, operation, and length unless it is a gather); an
     * all-reduce's ranks share one non-finite policy; no rank reported a non-finite input.
     *
     * @param kind          this rank's kind of collective.
     * @param operation     this rank's number for the collective.
     * @param operationName this rank's name for the collective, for messages.
     * @return the agreed chunk length: the smallest of the ranks'.
     * @throws IllegalStateException       if a slot holds another rank's descriptor (a broken peer).
     * @throws CollectiveMismatchException if the ranks called different collectives or use different policies.
     * @throws NonFiniteValueException     if a rank reported a non-finite input, naming the first such rank.
     */
    int check(final byte kind, final long operation, final String operationName)
    {
        int agreedChunk = Integer.MAX_VALUE;
        for (int r = 0; r < worldSize; r++)
        {
            final int at = offset(r);
            if (buffer.getInt(at + RANK_OFFSET, ORDER) != r)
            {
                throw new IllegalStateException("descriptor in slot " + r + " claims rank " + buffer.getInt(at + RANK_OFFSET, ORDER));
            }
            agreedChunk = Math.min(agreedChunk, buffer.getInt(at + CHUNK_OFFSET, ORDER));
        }
        for (int r = 1; r < worldSize; r++)
        {
            if (!sameCollective(r, kind))
            {
                throw new CollectiveMismatchException("ranks disagree on collective #" + operation + ": rank 0 called " +
                    describe(0) + ", rank " + r + " called " + describe(r) + "; no data was exchanged");
            }
        }
        if (KIND_GATHER != kind)
        {
            for (int r = 1; r < worldSize; r++)
            {
                final byte policy = buffer.getByte(offset(r) + POLICY_OFFSET);
                if (policy != buffer.getByte(POLICY_OFFSET))
                {
                    throw new CollectiveMismatchException("ranks disagree on the non-finite policy of " + operationName +
                        ": rank 0 uses " + policyName(buffer.getByte(POLICY_OFFSET)) + ", rank " + r + " uses " +
                        policyName(policy) + "; no data was exchanged");
                }
            }
        }
        for (int r = 0; r < worldSize; r++)
        {
            final int at = offset(r);
            final long index = buffer.getLong(at + NON_FINITE_INDEX_OFFSET, ORDER);
            if (index >= 0)
            {
                final double value = buffer.getDouble(at + NON_FINITE_VALUE_OFFSET, ORDER);
                throw new NonFiniteValueException(r, index, value, operationName + ": input of rank " + r + " holds " +
                    value + " at index " + index + " (non-finite policy REJECT); no data was exchanged");
            }
        }
        return agreedChunk;
    }

    private boolean sameCollective(final int slot, final byte kind)
    {
        final int at = offset(slot);
        return buffer.getLong(at + OPERATION_OFFSET, ORDER) == buffer.getLong(OPERATION_OFFSET, ORDER) &&
            buffer.getByte(at + KIND_OFFSET) == buffer.getByte(KIND_OFFSET) &&
            buffer.getByte(at + OP_OFFSET) == buffer.getByte(OP_OFFSET) &&
            (KIND_GATHER == kind && KIND_GATHER == buffer.getByte(at + KIND_OFFSET) || length(slot) == length(0));
    }

    /**
     * @param slot a rank.
     * @return the call that rank's descriptor stands for, e.g. {@code "allReduce(float[10], SUM) as its collective #3"}.
     */
    String describe(final int slot)
    {
        final int at = offset(slot);
        final byte kind = buffer.getByte(at + KIND_OFFSET);
        final long length = length(slot);
        final long operation = buffer.getLong(at + OPERATION_OFFSET, ORDER);
        final byte op = buffer.getByte(at + OP_OFFSET);
        return switch (kind)
        {
            case KIND_FLOAT -> "allReduce(float[" + length + "], " + opName(op) + ") as its collective #" + operation;
            case KIND_DOUBLE -> "allReduce(double[" + length + "], " + opName(op) + ") as its collective #" + operation;
            case KIND_GATHER -> (GATHER_LEDGERS == op ? "gatherRingLedgers()" : "allGather(byte[" + length + "])") +
                " as its collective #" + operation;
            default -> "an unknown collective (kind " + kind + ") as its collective #" + operation;
        };
    }

    private static String opName(final byte op)
    {
        final ReduceOp[] ops = ReduceOp.values();
        return op >= 0 && op < ops.length ? ops[op].name() : "op " + op;
    }

    private static String policyName(final byte policy)
    {
        final NonFinitePolicy[] policies = NonFinitePolicy.values();
        return policy >= 0 && policy < policies.length ? policies[policy].name() : "policy " + policy;
    }
}
