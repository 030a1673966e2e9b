package io.qring.samples.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CIFAR-10 binary reader on small files written in the real format: records of one label byte
 * then 1,024 red, 1,024 green and 1,024 blue bytes, each plane row-major 32x32.
 */
class Cifar10BinaryTest
{
    private static final int RECORDS_PER_TRAIN_FILE = 3;
    private static final int TEST_RECORDS = 4;

    @TempDir
    Path directory;

    @Test
    void shouldReadLabelsAndPixelsInChannelsFirstOrder() throws IOException
    {
        final Path file = directory.resolve("one.bin");
        Files.write(file, records(0, 5));

        final LabelledImages images = Cifar10Binary.read(List.of(file), Cifar10Binary.CLASS_NAMES);

        assertEquals(5, images.size());
        assertArrayEquals(new int[]{3, 32, 32}, images.exampleShape());
        for (int record = 0; record < 5; record++)
        {
            assertEquals(labelOf(record), images.label(record));
            for (int channel = 0; channel < 3; channel++)
            {
                for (int row = 0; row < 32; row += 7)
                {
                    for (int column = 0; column < 32; column += 5)
                    {
                        assertEquals(pixelOf(record, channel, row, column),
                            images.pixel(record, channel * 1024 + row * 32 + column));
                    }
                }
            }
        }
        final DataSet dataSet = images.toDataSet();
        assertArrayEquals(new long[]{5, 3, 32, 32}, dataSet.getFeatures().shape());
        assertEquals(pixelOf(3, 2, 31, 7) / 255.0, dataSet.getFeatures().getDouble(3, 2, 31, 7), 1e-7);
        assertEquals(pixelOf(1, 0, 4, 30) / 255.0, dataSet.getFeatures().getDouble(1, 0, 4, 30), 1e-7);
        assertEquals(1.0, dataSet.getLabels().getDouble(2, labelOf(2)), 0.0);
        assertEquals(5.0, dataSet.getLabels().sumNumber().doubleValue(), 0.0, "one-hot: one 1 per example");
    }

    @Test
    void shouldLoadTheOfficialSplitFromAGivenDirectoryAndShardIt() throws IOException
    {
        final Path batches = writeBatches(directory.resolve(Cifar10Binary.BATCHES_DIRECTORY));
        Files.writeString(batches.resolve(Cifar10Binary.META_FILE),
            String.join("\n", Cifar10Binary.CLASS_NAMES.stream().map(String::toUpperCase).toList()) + "\n\n");

        final TrainTestData data = Cifar10Data.load(new DataContext().dataDirectory(directory).dl4jDownload(false));

        assertEquals(5 * RECORDS_PER_TRAIN_FILE, data.train().size());
        assertEquals(TEST_RECORDS, data.test().size());
        assertEquals("AIRPLANE", data.train().classNames().get(0));
        assertEquals(List.of(100, 101, 102, 103), ids(data.test()));
        final List<Integer> union = new ArrayList<>();
        for (int rank = 0; rank < 4; rank++)
        {
            union.addAll(ids(data.train().shard(rank, 4)));
        }
        assertEquals(IntStream.range(0, 15).boxed().toList(), union.stream().sorted().toList());
        for (int i = 0; i < data.train().size(); i++)
        {
            assertEquals(labelOf(ids(data.train()).get(i)), data.train().label(i), "label travels with its image");
        }
    }

    @Test
    void shouldSayHowToGetCifarWhenTheDirectoryIsMissing()
    {
        final Path missing = directory.resolve("nowhere");

        final DataUnavailableException ex = assertThrows(DataUnavailableException.class,
            () -> Cifar10Data.load(new DataContext().dataDirectory(missing)));

        assertTrue(ex.getMessage().contains(missing + " does not exist"), ex.getMessage());
        assertTrue(ex.getMessage().contains("cifar-10-binary.tar.gz"), ex.getMessage());
        assertTrue(ex.getMessage().contains("--data-dir"), ex.getMessage());
    }

    @Test
    void shouldNameTheMissingBatchesOfAnIncompleteDirectory() throws IOException
    {
        Files.write(directory.resolve(Cifar10Binary.TEST_FILE), records(100, TEST_RECORDS));

        final DataUnavailableException ex = assertThrows(DataUnavailableException.class,
            () -> Cifar10Data.load(new DataContext().dataDirectory(directory)));

        assertTrue(ex.getMessage().contains("data_batch_1.bin"), ex.getMessage());
    }

    @Test
    void shouldRejectATruncatedBatch() throws IOException
    {
        writeBatches(directory);
        Files.write(directory.resolve("data_batch_3.bin"), new byte[Cifar10Binary.RECORD_BYTES + 17]);

        final DataUnavailableException ex = assertThrows(DataUnavailableException.class,
            () -> Cifar10Data.load(new DataContext().dataDirectory(directory)));

        assertTrue(ex.getMessage().contains("not a whole number of 3073-byte records"), ex.getMessage());
    }

    @Test
    void shouldRejectALabelOutsideTheClasses() throws IOException
    {
        final byte[] bad = records(0, 2);
        bad[Cifar10Binary.RECORD_BYTES] = 10;
        final Path file = directory.resolve("bad.bin");
        Files.write(file, bad);

        final IOException ex = assertThrows(IOException.class, () -> Cifar10Binary.read(List.of(file), Cifar10Binary.CLASS_NAMES));
        assertTrue(ex.getMessage().contains("record 1 has label 10"), ex.getMessage());
    }

    private static Path writeBatches(final Path batches) throws IOException
    {
        Files.createDirectories(batches);
        for (int file = 0; file < Cifar10Binary.TRAIN_FILES.size(); file++)
        {
            Files.write(batches.resolve(Cifar10Binary.TRAIN_FILES.get(file)),
                records(file * RECORDS_PER_TRAIN_FILE, RECORDS_PER_TRAIN_FILE));
        }
        Files.write(batches.resolve(Cifar10Binary.TEST_FILE), records(100, TEST_RECORDS));
        return batches;
    }

    /** Records whose red pixel (0,0) holds the record id and every other pixel a known function of its position. */
    private static byte[] records(final int firstId, final int count)
    {
        final byte[] bytes = new byte[count * Cifar10Binary.RECORD_BYTES];
        for (int r = 0; r < count; r++)
        {
            final int id = firstId + r;
            final int base = r * Cifar10Binary.RECORD_BYTES;
            bytes[base] = (byte)labelOf(id);
            for (int channel = 0; channel < 3; channel++)
            {
                for (int row = 0; row < 32; row++)
                {
                    for (int column = 0; column < 32; column++)
                    {
                        bytes[base + 1 + channel * 1024 + row * 32 + column] = (byte)pixelOf(id, channel, row, column);
                    }
                }
            }
        }
        return bytes;
    }

    private static int labelOf(final int id)
    {
        return (id * 7 + 3) % 10;
    }

    private static int pixelOf(final int id, final int channel, final int row, final int column)
    {
        if (channel == 0 && row == 0 && column == 0)
        {
            return id;
        }
        return (channel * 85 + row * 7 + column * 3 + id) & 0xFF;
    }

    private static List<Integer> ids(final LabelledImages images)
    {
        return IntStream.range(0, images.size()).mapToObj(i -> images.pixel(i, 0)).toList();
    }
}
