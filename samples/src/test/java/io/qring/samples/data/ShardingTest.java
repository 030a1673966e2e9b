package io.qring.samples.data;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sharding and batching logic, on small made-up images whose first pixel numbers the example (the
 * logic under test does not look at pixel content).
 */
class ShardingTest
{
    @Test
    void shouldShardDisjointlyAndCoverEveryExample()
    {
        for (final int count : new int[]{0, 1, 7, 10, 8_000, 60_000, 50_001})
        {
            for (int worldSize = 1; worldSize <= 7; worldSize++)
            {
                int expectedStart = 0;
                int smallest = Integer.MAX_VALUE;
                int largest = 0;
                for (int rank = 0; rank < worldSize; rank++)
                {
                    final int start = Sharding.shardStart(rank, worldSize, count);
                    final int end = Sharding.shardEnd(rank, worldSize, count);
                    assertEquals(expectedStart, start, "shards are contiguous and disjoint");
                    smallest = Math.min(smallest, end - start);
                    largest = Math.max(largest, end - start);
                    expectedStart = end;
                }
                assertEquals(count, expectedStart, "shards cover every example");
                assertTrue(largest - smallest <= 1, "shard sizes differ by at most one");
            }
        }
    }

    @Test
    void shouldRejectBadRanks()
    {
        assertThrows(IllegalArgumentException.class, () -> Sharding.shardStart(4, 4, 100));
        assertThrows(IllegalArgumentException.class, () -> Sharding.shardEnd(-1, 4, 100));
        assertThrows(IllegalArgumentException.class, () -> Sharding.batchesPerEpoch(3, 4, 10));
    }

    @Test
    void shouldGiveEveryRankTheSameBatchCountAndSeeEachExampleOncePerEpoch()
    {
        final TrainTestData data = new TrainTestData("test", numbered(1_003), numbered(10));
        final int worldSize = 4;
        final int batchSize = 32;
        final int expectedBatches = Sharding.batchesPerEpoch(1_003, worldSize, batchSize);
        final List<Integer> seen = new ArrayList<>();

        for (int rank = 0; rank < worldSize; rank++)
        {
            final DataSetIterator iterator = data.trainIterator(rank, worldSize, batchSize, 42L);
            for (int epoch = 0; epoch < 2; epoch++)
            {
                final List<Integer> epochIds = new ArrayList<>();
                int batches = 0;
                while (iterator.hasNext())
                {
                    final DataSet batch = iterator.next();
                    assertTrue(batch.numExamples() <= batchSize + 1, "batch of " + batch.numExamples());
                    epochIds.addAll(ids(batch));
                    batches++;
                }
                assertEquals(expectedBatches, batches, "rank " + rank);
                assertEquals(epochIds.stream().distinct().count(), epochIds.size(), "no example twice in an epoch");
                if (epoch == 0)
                {
                    seen.addAll(epochIds);
                }
                iterator.reset();
            }
        }

        assertEquals(1_003, seen.size());
        assertEquals(IntStream.range(0, 1_003).boxed().toList(), seen.stream().sorted().toList());
    }

    /**
     * The batch sizes the plan states are the ones the ranks' iterators produce, e.g. 400 examples over 2
     * ranks with {@code --batch-size 150}: 2 batches of 100 per rank, not 150.
     */
    @Test
    void shouldStateTheBatchSizesTheIteratorsProduce()
    {
        assertEquals(100, Sharding.smallestBatch(400, 2, 150));
        assertEquals(100, Sharding.largestBatch(400, 2, 150));
        assertEquals(51, Sharding.largestBatch(201, 2, 50), "a shard of 101 in 2 batches: one more than asked for");
        for (final int count : new int[]{7, 10, 201, 400, 1_003})
        {
            for (int worldSize = 1; worldSize <= 4; worldSize++)
            {
                for (final int batchSize : new int[]{1, 3, 32, 50, 150, 2_000})
                {
                    final TrainTestData data = new TrainTestData("test", numbered(count), numbered(1));
                    int smallest = Integer.MAX_VALUE;
                    int largest = 0;
                    for (int rank = 0; rank < worldSize; rank++)
                    {
                        final DataSetIterator iterator = data.trainIterator(rank, worldSize, batchSize, 42L);
                        while (iterator.hasNext())
                        {
                            final int examples = iterator.next().numExamples();
                            smallest = Math.min(smallest, examples);
                            largest = Math.max(largest, examples);
                        }
                    }
                    final String where = count + " examples, " + worldSize + " ranks, batch size " + batchSize;
                    assertEquals(smallest, Sharding.smallestBatch(count, worldSize, batchSize), where);
                    assertEquals(largest, Sharding.largestBatch(count, worldSize, batchSize), where);
                    assertTrue(largest <= batchSize + (0 == count % worldSize ? 0 : 1), where);
                }
            }
        }
    }

    @Test
    void shouldReshuffleEachEpochReproducibly()
    {
        final LabelledImages images = numbered(100);
        final DataSetIterator first = images.shuffledBatches(10, 5L);
        final DataSetIterator second = images.shuffledBatches(10, 5L);

        final List<Integer> epoch0 = drain(first);
        assertEquals(epoch0, drain(second));
        first.reset();
        second.reset();
        final List<Integer> epoch1 = drain(first);

        assertEquals(epoch1, drain(second));
        assertNotEquals(epoch0, epoch1);
        assertEquals(epoch0.stream().sorted().toList(), epoch1.stream().sorted().toList());
    }

    @Test
    void shouldBuildScaledFeaturesAndOneHotLabels()
    {
        final byte[] pixels = {0, (byte)255, (byte)128, 10, 20, 30};
        final LabelledImages images = new LabelledImages(new int[]{3}, List.of("a", "b", "c"), pixels, new byte[]{2, 0});

        final DataSet all = images.toDataSet();

        assertArrayEquals(new long[]{2, 3}, all.getFeatures().shape());
        assertEquals(1.0, all.getFeatures().getDouble(0, 1), 1e-7);
        assertEquals(128 / 255.0, all.getFeatures().getDouble(0, 2), 1e-7);
        assertEquals(30 / 255.0, all.getFeatures().getDouble(1, 2), 1e-7);
        assertArrayEquals(new float[]{0, 0, 1}, all.getLabels().getRow(0).toFloatVector());
        assertArrayEquals(new float[]{1, 0, 0}, all.getLabels().getRow(1).toFloatVector());
    }

    @Test
    void shouldIterateTestSetInFixedOrderWithSmallerLastBatch()
    {
        final DataSetIterator iterator = numbered(10).batches(4);

        assertEquals(List.of(4, 4, 2), List.of(iterator.next().numExamples(), iterator.next().numExamples(),
            iterator.next().numExamples()));
        iterator.reset();
        assertEquals(IntStream.range(0, 10).boxed().toList(), drain(iterator));
    }

    @Test
    void shouldRejectInconsistentImages()
    {
        assertThrows(IllegalArgumentException.class,
            () -> new LabelledImages(new int[]{2}, List.of("a"), new byte[3], new byte[1]));
        assertThrows(IllegalArgumentException.class,
            () -> new LabelledImages(new int[]{1}, List.of("a"), new byte[1], new byte[]{1}));
    }

    /** Images of two pixels whose value is the example number (base 256). */
    private static LabelledImages numbered(final int count)
    {
        final byte[] pixels = new byte[count * 2];
        final byte[] labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            pixels[2 * i] = (byte)(i >>> 8);
            pixels[2 * i + 1] = (byte)i;
            labels[i] = (byte)(i % 10);
        }
        return new LabelledImages(new int[]{2}, MnistNpmPackage.CLASS_NAMES, pixels, labels);
    }

    private static List<Integer> ids(final DataSet batch)
    {
        final List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < batch.numExamples(); i++)
        {
            final int high = (int)Math.round(batch.getFeatures().getDouble(i, 0) * 255);
            final int low = (int)Math.round(batch.getFeatures().getDouble(i, 1) * 255);
            ids.add(high * 256 + low);
        }
        return ids;
    }

    private static List<Integer> drain(final DataSetIterator iterator)
    {
        final List<Integer> ids = new ArrayList<>();
        while (iterator.hasNext())
        {
            ids.addAll(ids(iterator.next()));
        }
        return ids;
    }
}
