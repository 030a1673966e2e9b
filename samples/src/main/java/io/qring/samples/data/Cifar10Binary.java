package io.qring.samples.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Reader of the standard CIFAR-10 binary batches ({@code cifar-10-binary.tar.gz}): each file is a
 * sequence of 3,073-byte records, one label byte (0–9) followed by 3,072 pixel bytes, the 1,024 red
 * values then the 1,024 green then the 1,024 blue, each plane 32 rows of 32 pixels. That is exactly
 * channels-first {@code [3, 32, 32]}, the layout the images are held in.
 */
public final class Cifar10Binary
{
    /** Side of an image in pixels. */
    public static final int SIDE = 32;
    /** Colour channels (R, G, B planes). */
    public static final int CHANNELS = 3;
    /** Pixel bytes of one image. */
    public static final int IMAGE_BYTES = CHANNELS * SIDE * SIDE;
    /** Bytes of one record: label plus image. */
    public static final int RECORD_BYTES = 1 + IMAGE_BYTES;
    /** Directory the official archive extracts to. */
    public static final String BATCHES_DIRECTORY = "cifar-10-batches-bin";
    /** The five training batches. */
    public static final List<String> TRAIN_FILES = List.of(
        "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin");
    /** The test batch. */
    public static final String TEST_FILE = "test_batch.bin";
    /** Class names shipped beside the batches, one a line. */
    public static final String META_FILE = "batches.meta.txt";
    /** The ten classes in label order, used when {@value #META_FILE} is absent. */
    public static final List<String> CLASS_NAMES = List.of(
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

    private Cifar10Binary()
    {
    }

    /**
     * @param directory a directory holding the six batch files, directly or in {@value #BATCHES_DIRECTORY}/.
     * @return the directory that holds all six, if any.
     */
    public static Optional<Path> locate(final Path directory)
    {
        return Stream.of(directory, directory.resolve(BATCHES_DIRECTORY))
            .filter(Cifar10Binary::holdsAllBatches)
            .findFirst();
    }

    /**
     * Reads batch files into one set of {@code [3, 32, 32]} images.
     *
     * @param files      batch files, read in order.
     * @param classNames class names, indexed by label.
     * @return the images.
     * @throws IOException if a file cannot be read, is not a whole number of records, or holds a
     *                     label outside the classes.
     */
    public static LabelledImages read(final List<Path> files, final List<String> classNames) throws IOException
    {
        long records = 0;
        for (final Path file : files)
        {
            final long size = Files.size(file);
            if (size == 0 || size % RECORD_BYTES != 0)
            {
                throw new IOException(file + " is not a CIFAR-10 binary batch: " + size +
                    " bytes is not a whole number of " + RECORD_BYTES + "-byte records");
            }
            records += size / RECORD_BYTES;
        }
        final int count = Math.toIntExact(records);
        final byte[] pixels = new byte[Math.multiplyExact(count, IMAGE_BYTES)];
        final byte[] labels = new byte[count];
        int example = 0;
        for (final Path file : files)
        {
            final byte[] batch = Files.readAllBytes(file);
            for (int offset = 0; offset < batch.length; offset += RECORD_BYTES, example++)
            {
                final int label = Byte.toUnsignedInt(batch[offset]);
                if (label >= classNames.size())
                {
                    throw new IOException(file + " record " + offset / RECORD_BYTES + " has label " + label +
                        ", outside [0, " + classNames.size() + ")");
                }
                labels[example] = (byte)label;
                System.arraycopy(batch, offset + 1, pixels, example * IMAGE_BYTES, IMAGE_BYTES);
            }
        }
        return new LabelledImages(new int[]{CHANNELS, SIDE, SIDE}, classNames, pixels, labels);
    }

    /**
     * Reads the official split: 50,000 training images (then put in a seeded random order) and the
     * 10,000 test images.
     *
     * @param batchesDirectory directory holding the six batch files (see {@link #locate(Path)}).
     * @param seed             seed of the training order.
     * @return the split.
     * @throws IOException if a batch cannot be read.
     */
    public static TrainTestData load(final Path batchesDirectory, final long seed) throws IOException
    {
        final List<String> classNames = classNames(batchesDirectory);
        final LabelledImages train = read(TRAIN_FILES.stream().map(batchesDirectory::resolve).toList(), classNames);
        final LabelledImages test = read(List.of(batchesDirectory.resolve(TEST_FILE)), classNames);
        return new TrainTestData("CIFAR-10 binary batches in " + batchesDirectory + ": " + train.size() + " train / " +
            test.size() + " test (training order shuffled, seed " + seed + ")", train.shuffled(seed), test);
    }

    /**
     * @param batchesDirectory directory of the batches.
     * @return the names in {@value #META_FILE} when it lists ten, else {@link #CLASS_NAMES}.
     * @throws IOException if the meta file exists but cannot be read.
     */
    static List<String> classNames(final Path batchesDirectory) throws IOException
    {
        final Path meta = batchesDirectory.resolve(META_FILE);
        if (Files.isRegularFile(meta))
        {
            final List<String> names = Files.readAllLines(meta).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
            if (names.size() == CLASS_NAMES.size())
            {
                return names;
            }
        }
        return CLASS_NAMES;
    }

    private static boolean holdsAllBatches(final Path directory)
    {
        return Stream.concat(TRAIN_FILES.stream(), Stream.of(TEST_FILE))
            .allMatch(name -> Files.isRegularFile(directory.resolve(name)));
    }
}
