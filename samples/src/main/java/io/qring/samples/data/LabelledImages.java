package io.qring.samples.data;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;

/**
 * An immutable set of labelled 8-bit images held compactly on the heap: one unsigned byte per pixel
 * and one class index per example. Features are scaled to {@code [0, 1]} (pixel / 255, as DL4J's own
 * MNIST iterator does) and labels one-hot encoded only when a {@link DataSet} is built for a batch.
 */
public final class LabelledImages
{
    /** Pixel intensities are 8-bit: features are {@code pixel / PIXEL_SCALE}. */
    public static final float PIXEL_SCALE = 255.0f;

    private final int[] exampleShape;
    private final int exampleLength;
    private final List<String> classNames;
    private final byte[] pixels;
    private final byte[] labels;

    /**
     * @param exampleShape shape of one example's features, e.g. {@code {784}} or {@code {3, 32, 32}}.
     * @param classNames   one name per class; labels index this list.
     * @param pixels       {@code labels.length × product(exampleShape)} unsigned pixel bytes, example
     *                     after example (taken over, not copied).
     * @param labels       class index of each example (taken over, not copied).
     * @throws IllegalArgumentException if the sizes disagree or a label is out of range.
     */
    public LabelledImages(final int[] exampleShape, final List<String> classNames, final byte[] pixels, final byte[] labels)
    {
        if (exampleShape.length == 0 || Arrays.stream(exampleShape).anyMatch(d -> d < 1))
        {
            throw new IllegalArgumentException("example shape must have positive dimensions: " + Arrays.toString(exampleShape));
        }
        if (classNames.isEmpty() || classNames.size() > 256)
        {
            throw new IllegalArgumentException("between 1 and 256 classes are supported: " + classNames.size());
        }
        this.exampleShape = exampleShape.clone();
        this.exampleLength = Arrays.stream(exampleShape).reduce(1, Math::multiplyExact);
        this.classNames = List.copyOf(classNames);
        if ((long)labels.length * exampleLength != pixels.length)
        {
            throw new IllegalArgumentException("expected " + (long)labels.length * exampleLength + " pixels for " +
                labels.length + " examples of shape " + Arrays.toString(exampleShape) + ", got " + pixels.length);
        }
        for (int i = 0; i < labels.length; i++)
        {
            if (Byte.toUnsignedInt(labels[i]) >= classNames.size())
            {
                throw new IllegalArgumentException("label " + Byte.toUnsignedInt(labels[i]) + " of example " + i +
                    " is outside [0, " + classNames.size() + ")");
            }
        }
        this.pixels = pixels;
        this.labels = labels;
    }

    /**
     * What the examples hold, wherever they were read from: equal for the same examples in the same order.
     *
     * @return CRC-32C of the pixels followed by the labels.
     */
    public int checksum()
    {
        final CRC32C crc = new CRC32C();
        crc.update(pixels);
        crc.update(labels);
        return (int)crc.getValue();
    }

    /** @return number of examples. */
    public int size()
    {
        return labels.length;
    }

    /** @return shape of one example's features (a copy). */
    public int[] exampleShape()
    {
        return exampleShape.clone();
    }

    /** @return number of features (pixels) of one example. */
    public int exampleLength()
    {
        return exampleLength;
    }

    /** @return number of classes. */
    public int numClasses()
    {
        return classNames.size();
    }

    /** @return the class names, indexed by label. */
    public List<String> classNames()
    {
        return classNames;
    }

    /**
     * @param example index of the example.
     * @return its class index.
     */
    public int label(final int example)
    {
        return Byte.toUnsignedInt(labels[example]);
    }

    /**
     * @param example index of the example.
     * @param offset  index of the pixel within the example, in the order of {@link #exampleShape()}.
     * @return the pixel intensity in {@code [0, 255]}.
     */
    public int pixel(final int example, final int offset)
    {
        if (offset < 0 || offset >= exampleLength)
        {
            throw new IndexOutOfBoundsException("pixel " + offset + " is outside [0, " + exampleLength + ")");
        }
        return Byte.toUnsignedInt(pixels[example * exampleLength + offset]);
    }

    /** @return number of examples of each class, indexed by label. */
    public int[] classCounts()
    {
        final int[] counts = new int[classNames.size()];
        for (final byte label : labels)
        {
            counts[Byte.toUnsignedInt(label)]++;
        }
        return counts;
    }

    /**
     * @param indices examples to keep, in the order given (repeats allowed).
     * @return a new set holding copies of those examples.
     */
    public LabelledImages select(final int[] indices)
    {
        final byte[] selectedPixels = new byte[Math.multiplyExact(indices.length, exampleLength)];
        final byte[] selectedLabels = new byte[indices.length];
        for (int i = 0; i < indices.length; i++)
        {
            System.arraycopy(pixels, indices[i] * exampleLength, selectedPixels, i * exampleLength, exampleLength);
            selectedLabels[i] = labels[indices[i]];
        }
        return new LabelledImages(exampleShape, classNames, selectedPixels, selectedLabels);
    }

    /**
     * @param from first example (inclusive).
     * @param to   end (exclusive).
     * @return a new set holding copies of the examples {@code [from, to)}.
     */
    public LabelledImages slice(final int from, final int to)
    {
        if (from < 0 || to > size() || from > to)
        {
            throw new IndexOutOfBoundsException("slice [" + from + ", " + to + ") of " + size() + " examples");
        }
        return new LabelledImages(exampleShape, classNames,
            Arrays.copyOfRange(pixels, from * exampleLength, to * exampleLength), Arrays.copyOfRange(labels, from, to));
    }

    /**
     * @param count maximum number of examples to keep; 0 keeps all.
     * @return the first {@code count} examples, or this set when it holds no more than that.
     */
    public LabelledImages first(final int count)
    {
        if (count < 0)
        {
            throw new IllegalArgumentException("example count must not be negative: " + count);
        }
        return count == 0 || count >= size() ? this : slice(0, count);
    }

    /**
     * @param seed seed of the permutation.
     * @return the examples in a seeded random order (the same seed gives the same order on every JVM).
     */
    public LabelledImages shuffled(final long seed)
    {
        return select(permutation(size(), seed));
    }

    /**
     * This rank's disjoint slice of the examples, see {@link Sharding}.
     *
     * @param rank      rank in {@code [0, worldSize)}.
     * @param worldSize number of ranks.
     * @return the examples {@code [shardStart, shardEnd)}.
     */
    public LabelledImages shard(final int rank, final int worldSize)
    {
        return slice(Sharding.shardStart(rank, worldSize, size()), Sharding.shardEnd(rank, worldSize, size()));
    }

    /**
     * All examples in their stored order, {@code batchSize} at a time (the last batch may be smaller).
     * For evaluation.
     *
     * @param batchSize examples per batch, ≥ 1.
     * @return a resettable iterator.
     */
    public DataSetIterator batches(final int batchSize)
    {
        return ImageBatchIterator.fixedSize(this, batchSize);
    }

    /**
     * All examples in a seeded random order, reshuffled at every {@link DataSetIterator#reset()},
     * split into exactly {@code batchesPerEpoch} batches of near-equal size. For training.
     *
     * @param batchesPerEpoch batches per epoch in {@code [1, size()]}.
     * @param seed            seed of the per-epoch orders.
     * @return a resettable iterator.
     */
    public DataSetIterator shuffledBatches(final int batchesPerEpoch, final long seed)
    {
        return ImageBatchIterator.shuffledEqualParts(this, batchesPerEpoch, seed);
    }

    /** @return every example as one {@link DataSet}. */
    public DataSet toDataSet()
    {
        final int[] order = new int[size()];
        Arrays.setAll(order, i -> i);
        return toDataSet(order, 0, size());
    }

    /**
     * Builds a DataSet of features {@code [n, exampleShape…]} scaled to {@code [0, 1]} and one-hot
     * labels {@code [n, numClasses]}.
     */
    DataSet toDataSet(final int[] order, final int from, final int to)
    {
        final int n = to - from;
        final float[] features = new float[Math.multiplyExact(n, exampleLength)];
        final float[] oneHot = new float[n * classNames.size()];
        for (int i = 0; i < n; i++)
        {
            final int example = order[from + i];
            final int source = example * exampleLength;
            final int target = i * exampleLength;
            for (int j = 0; j < exampleLength; j++)
            {
                features[target + j] = Byte.toUnsignedInt(pixels[source + j]) / PIXEL_SCALE;
            }
            oneHot[i * classNames.size() + Byte.toUnsignedInt(labels[example])] = 1.0f;
        }
        final long[] featureShape = new long[exampleShape.length + 1];
        featureShape[0] = n;
        for (int d = 0; d < exampleShape.length; d++)
        {
            featureShape[d + 1] = exampleShape[d];
        }
        final INDArray featureArray = Nd4j.create(features, featureShape, 'c');
        final INDArray labelArray = Nd4j.create(oneHot, new long[]{n, classNames.size()}, 'c');
        return new DataSet(featureArray, labelArray);
    }

    /**
     * A seeded uniform permutation of {@code [0, n)} (Fisher–Yates over {@link Random}, whose sequence
     * is fixed by the Java specification, so it is the same on every JVM).
     *
     * @param n    size.
     * @param seed seed.
     * @return the permutation.
     */
    static int[] permutation(final int n, final long seed)
    {
        final int[] order = new int[n];
        Arrays.setAll(order, i -> i);
        final Random random = new Random(seed);
        for (int i = n - 1; i > 0; i--)
        {
            final int j = random.nextInt(i + 1);
            final int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }
}
