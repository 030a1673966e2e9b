package io.qring.samples.data;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** What ranks on different hosts compare to check they train on the same data. */
class TrainTestDataTest
{
    private static final int[] SHAPE = {1, 2, 2};
    private static final List<String> CLASSES = List.of("a", "b");

    @Test
    void shouldNameTheExamplesNotTheirSource()
    {
        final byte[] pixels = {1, 2, 3, 4, 5, 6, 7, 8};
        final byte[] labels = {0, 1};
        final CRC32C crc = new CRC32C();
        crc.update(pixels);
        crc.update(labels);
        final TrainTestData data = new TrainTestData("read from /somewhere", images(pixels, labels), images(pixels, labels));

        assertEquals(String.format("2 train / 2 test examples of shape [1, 2, 2], CRC-32C %08x / %08x", crc.getValue(),
            crc.getValue()), data.content());
        assertEquals(data.content(), new TrainTestData("read from elsewhere", images(pixels, labels), images(pixels, labels)).content());
    }

    @Test
    void shouldChangeTheChecksumWithAPixelALabelOrTheOrder()
    {
        final int reference = images(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, new byte[] {0, 1}).checksum();
        assertNotEquals(reference, images(new byte[] {1, 2, 3, 4, 5, 6, 7, 9}, new byte[] {0, 1}).checksum());
        assertNotEquals(reference, images(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, new byte[] {1, 1}).checksum());
        assertNotEquals(reference, images(new byte[] {5, 6, 7, 8, 1, 2, 3, 4}, new byte[] {1, 0}).checksum());
    }

    private static LabelledImages images(final byte[] pixels, final byte[] labels)
    {
        return new LabelledImages(SHAPE, CLASSES, pixels.clone(), labels.clone());
    }
}
