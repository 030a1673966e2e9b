package io.qring.it.rank;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * The deterministic inputs of the child ranks and the raw-bits form of their results, shared by the
 * children (which compute and write) and the tests (which recompute and read).
 */
public final class RankData
{
    private RankData()
    {
    }

    /**
     * Values of mixed sign and magnitude (2^-9 .. 2^8), so that rounding depends on summation order;
     * fixed per seed, rank and operation.
     *
     * @param seed      run seed.
     * @param rank      the rank.
     * @param operation index of the all-reduce, from 0.
     * @param length    elements.
     * @return the rank's input of that operation.
     */
    public static float[] input(final long seed, final int rank, final int operation, final int length)
    {
        final SplittableRandom random = new SplittableRandom(seed * 1_000_003L + 7919L * operation + rank);
        final float[] values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)((random.nextDouble() - 0.5) * Math.scalb(1.0, random.nextInt(-8, 9)));
        }
        return values;
    }

    /**
     * @param values floats.
     * @return their raw IEEE-754 bits, little-endian, 4 bytes each.
     */
    public static byte[] rawBits(final float[] values)
    {
        final ByteBuffer buffer = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (final float value : values)
        {
            buffer.putInt(Float.floatToRawIntBits(value));
        }
        return buffer.array();
    }

    /**
     * @param raw raw bits as written by {@link #rawBits(float[])}.
     * @return the floats.
     */
    public static float[] fromRawBits(final byte[] raw)
    {
        final ByteBuffer buffer = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        final float[] values = new float[raw.length / Float.BYTES];
        for (int i = 0; i < values.length; i++)
        {
            values[i] = Float.intBitsToFloat(buffer.getInt());
        }
        return values;
    }

    /**
     * @param raw bytes.
     * @return their SHA-256, lower-case hex.
     */
    public static String sha256(final byte[] raw)
    {
        try
        {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(raw));
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("every Java platform has SHA-256", ex);
        }
    }

    /**
     * @param directory result directory.
     * @param rank      the rank.
     * @param operation index of the all-reduce.
     * @return the file holding that result's raw bits.
     */
    public static Path resultFile(final Path directory, final int rank, final int operation)
    {
        return directory.resolve("rank-" + rank + "-op-" + operation + ".f32");
    }

    /**
     * @param directory result directory.
     * @param rank      the rank.
     * @param operation index of the all-reduce.
     * @return the floats a child wrote for that result.
     */
    public static float[] readResult(final Path directory, final int rank, final int operation)
    {
        try
        {
            return fromRawBits(Files.readAllBytes(resultFile(directory, rank, operation)));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read result of rank " + rank + " operation " + operation, ex);
        }
    }
}
