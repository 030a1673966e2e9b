package io.qring.dl4j;

import io.qring.allreduce.AllReduce;
import org.nd4j.linalg.api.buffer.DataType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The first exchange of every DL4J adapter: all ranks gather each other's vector length and dtype, so a
 * rank whose model differs (other architecture, other dtype) is reported by every rank with the figures
 * of every rank, before any numbers are combined.
 */
final class RingHandshake
{
    private static final int MESSAGE_BYTES = Long.BYTES + Integer.BYTES;

    private RingHandshake()
    {
    }

    /**
     * Collective: checks that every rank exchanges vectors of the same length and dtype.
     *
     * @param allReduce the ring.
     * @param what      what is exchanged, e.g. {@code "gradient update"}, used in the error message.
     * @param length    this rank's vector length.
     * @param type      this rank's dtype.
     * @throws IllegalStateException naming every rank's length and dtype when they differ.
     */
    static void verify(final AllReduce allReduce, final String what, final long length, final DataType type)
    {
        final ByteBuffer local = ByteBuffer.allocate(MESSAGE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        local.putLong(length).putInt(type.ordinal());
        final byte[][] all = allReduce.allGather(local.array());
        boolean mismatch = all.length != allReduce.worldSize();
        final StringBuilder ranks = new StringBuilder();
        for (int r = 0; r < all.length; r++)
        {
            if (all[r] == null || all[r].length != MESSAGE_BYTES)
            {
                throw new IllegalStateException(what + " handshake: rank " + r + " sent a malformed message");
            }
            final ByteBuffer message = ByteBuffer.wrap(all[r]).order(ByteOrder.LITTLE_ENDIAN);
            final long rankLength = message.getLong();
            final int rankType = message.getInt();
            mismatch |= rankLength != length || rankType != type.ordinal();
            ranks.append(r == 0 ? "" : ", ").append("rank ").append(r).append(": ").append(rankLength).append(' ')
                .append(rankType >= 0 && rankType < DataType.values().length ? DataType.values()[rankType] : "?");
        }
        if (mismatch)
        {
            throw new IllegalStateException("every rank must train the same model, but the " + what +
                " differs between ranks (parameters and dtype per rank: " + ranks + "); this is rank " +
                allReduce.rank() + " of " + allReduce.worldSize());
        }
    }
}
