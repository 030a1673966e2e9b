package io.qring.allreduce.quantum;

import java.util.zip.CRC32C;

/**
 * CRC-32C of a payload's fixed-length blocks, the integrity check a quantum link applies to every
 * decoded frame. One instance per thread.
 */
final class BlockChecksums
{
    private final CRC32C crc = new CRC32C();

    /**
     * @param bytes       array holding the payload.
     * @param offset      first payload byte in the array.
     * @param length      payload bytes.
     * @param blockLength bytes per block (the last block may be shorter).
     * @param block       index of the block.
     * @return the CRC-32C of that block.
     */
    int block(final byte[] bytes, final int offset, final int length, final int blockLength, final int block)
    {
        final int from = block * blockLength;
        crc.reset();
        crc.update(bytes, offset + from, Math.min(blockLength, length - from));
        return (int)crc.getValue();
    }
}
