package io.qring.dl4j;

import io.qring.allreduce.AllReduce;
import org.deeplearning4j.nn.api.Model;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The first exchange of every DL4J adapter: all ranks gather each other's vector length and dtype, so a
 * rank whose model differs (other architecture, other dtype) is reported by every rank with the figures
 * of every rank, before any numbers are combined. An adapter that knows the model also sends a CRC-32C of
 * its parameters: synchronous training applies the same averaged update to every replica, so replicas that
 * start apart (models initialised with different seeds) would stay apart for good, and silently.
 */
final class RingHandshake
{
    private static final int MESSAGE_BYTES = Long.BYTES + Integer.BYTES + 1 + Integer.BYTES;

    private RingHandshake()
    {
    }

    /**
     * Collective: checks that every rank exchanges vectors of the same length and dtype and, where every
     * rank knows its model, that the models' parameters are equal.
     *
     * @param allReduce the ring.
     * @param what      what is exchanged, e.g. {@code "gradient update"}, used in the error message.
     * @param length    this rank's vector length.
     * @param type      this rank's dtype.
     * @param model     this rank's model, whose parameters every replica must share; {@code null} if unknown.
     * @throws IllegalStateException naming every rank's length and dtype when they differ, or every rank's
     *                               parameter checksum when the parameters differ.
     */
    static void verify(final AllReduce allReduce, final String what, final long length, final DataType type, final Model model)
    {
        final ByteBuffer local = ByteBuffer.allocate(MESSAGE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        final int ownChecksum = null == model ? 0 : parametersChecksum(model.params());
        local.putLong(length).putInt(type.ordinal()).put((byte)(null == model ? 0 : 1)).putInt(ownChecksum);
        final byte[][] all = allReduce.allGather(local.array());
        boolean mismatch = all.length != allReduce.worldSize();
        boolean everyModelKnown = true;
        boolean parametersDiffer = false;
        final StringBuilder ranks = new StringBuilder();
        final StringBuilder checksums = new StringBuilder();
        for (int r = 0; r < all.length; r++)
        {
            if (all[r] == null || all[r].length != MESSAGE_BYTES)
            {
                throw new IllegalStateException(what + " handshake: rank " + r + " sent a malformed message");
            }
            final ByteBuffer message = ByteBuffer.wrap(all[r]).order(ByteOrder.LITTLE_ENDIAN);
            final long rankLength = message.getLong();
            final int rankType = message.getInt();
            final boolean modelKnown = message.get() != 0;
            final int checksum = message.getInt();
            mismatch |= rankLength != length || rankType != type.ordinal();
            everyModelKnown &= modelKnown;
            parametersDiffer |= checksum != ownChecksum;
            ranks.append(r == 0 ? "" : ", ").append("rank ").append(r).append(": ").append(rankLength).append(' ')
                .append(rankType >= 0 && rankType < DataType.values().length ? DataType.values()[rankType] : "?");
            checksums.append(r == 0 ? "" : ", ").append("rank ").append(r).append(": ").append(String.format("%08x", checksum));
        }
        if (mismatch)
        {
            throw new IllegalStateException("every rank must train the same model, but the " + what +
                " differs between ranks (parameters and dtype per rank: " + ranks + "); this is rank " +
                allReduce.rank() + " of " + allReduce.worldSize());
        }
        if (everyModelKnown && parametersDiffer)
        {
            throw new IllegalStateException("every rank must start from the same parameters, but they differ between ranks " +
                "(CRC-32C of the parameters per rank: " + checksums + "), and replicas that start apart stay apart; " +
                "initialise every rank's model with the same seed, or copy one rank's parameters to the others; this is rank " +
                allReduce.rank() + " of " + allReduce.worldSize());
        }
    }

    /**
     * @param parameters a model's parameters.
     * @return CRC-32C of their values in C order, as stored.
     */
    static int parametersChecksum(final INDArray parameters)
    {
        final CRC32C crc = new CRC32C();
        crc.update(parameters.dup('c').data().asBytes());
        return (int)crc.getValue();
    }
}
