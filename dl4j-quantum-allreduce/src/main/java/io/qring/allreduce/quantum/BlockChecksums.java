package io.qring.allreduce.quantum;

import java.util.zip.CRC32C;

/**
 * CRC-32C of a whole payload and of its fixed-length blocks, the integrity check a quantum link
 * applies to every decoded frame. One instance per thread.
 */
final class BlockChecksums
{
    private final CRC32C crc = new CRC32C();

    int message(final byte[] payload, final int length)
    {
        crc.reset();
        crc.update(payload, 0, length);
        return (int)crc.getValue();
    }

    int block(final byte[] payload, final int length, final int blockLength, final int block)
    {
        final int from = block * blockLength;
        crc.reset();
        crc.update(payload, from, Math.min(blockLength, length - from));
        return (int)crc.getValue();
    }
}
