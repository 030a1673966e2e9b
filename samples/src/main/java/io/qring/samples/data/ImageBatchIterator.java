package io.qring.samples.data;

import io.qring.channel.epr.EprShares;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Iterates a {@link LabelledImages} either in batches of a fixed size (the last one smaller), or in
 * exactly {@code B} near-equal batches, batch {@code k} holding positions {@code [k·n/B, (k+1)·n/B)}
 * of the epoch's order. When shuffling, the order of epoch {@code e} is a permutation seeded from
 * {@code (seed, e)}, so runs with the same seed see the same batches.
 */
final class ImageBatchIterator implements DataSetIterator
{
    private final LabelledImages images;
    private final int batchesPerEpoch;
    private final int fixedBatchSize;
    private final boolean shuffle;
    private final long seed;
    private int[] order;
    private int epoch;
    private int position;
    private DataSetPreProcessor preProcessor;

    private ImageBatchIterator(
        final LabelledImages images, final int batchesPerEpoch, final int fixedBatchSize, final boolean shuffle, final long seed)
    {
        this.images = images;
        this.batchesPerEpoch = batchesPerEpoch;
        this.fixedBatchSize = fixedBatchSize;
        this.shuffle = shuffle;
        this.seed = seed;
        this.order = epochOrder(0);
    }

    /**
     * @param images    examples in their stored order.
     * @param batchSize examples per batch, ≥ 1; the last batch holds the rest.
     * @return an iterator that never shuffles.
     */
    static ImageBatchIterator fixedSize(final LabelledImages images, final int batchSize)
    {
        if (batchSize < 1)
        {
            throw new IllegalArgumentException("batch size must be at least 1: " + batchSize);
        }
        return new ImageBatchIterator(images, Math.max(1, (images.size() + batchSize - 1) / batchSize), batchSize, false, 0L);
    }

    /**
     * @param images          examples.
     * @param batchesPerEpoch number of near-equal batches, in {@code [1, images.size()]}.
     * @param seed            seed of the per-epoch orders.
     * @return an iterator that reshuffles at every reset.
     */
    static ImageBatchIterator shuffledEqualParts(final LabelledImages images, final int batchesPerEpoch, final long seed)
    {
        if (batchesPerEpoch < 1 || batchesPerEpoch > images.size())
        {
            throw new IllegalArgumentException(
                "batches per epoch must be in [1, " + images.size() + "] for " + images.size() + " examples: " + batchesPerEpoch);
        }
        return new ImageBatchIterator(images, batchesPerEpoch, 0, true, seed);
    }

    @Override
    public boolean hasNext()
    {
        return position < images.size();
    }

    @Override
    public DataSet next()
    {
        if (!hasNext())
        {
            throw new NoSuchElementException("epoch " + epoch + " is exhausted; call reset()");
        }
        return emit(batchBoundary(batchContaining(position) + 1));
    }

    @Override
    public DataSet next(final int num)
    {
        if (!hasNext())
        {
            throw new NoSuchElementException("epoch " + epoch + " is exhausted; call reset()");
        }
        if (num < 1)
        {
            throw new IllegalArgumentException("number of examples must be at least 1: " + num);
        }
        return emit(Math.min(images.size(), position + num));
    }

    @Override
    public int inputColumns()
    {
        return images.exampleLength();
    }

    @Override
    public int totalOutcomes()
    {
        return images.numClasses();
    }

    @Override
    public boolean resetSupported()
    {
        return true;
    }

    @Override
    public boolean asyncSupported()
    {
        return false;
    }

    @Override
    public void reset()
    {
        epoch++;
        order = epochOrder(epoch);
        position = 0;
    }

    @Override
    public int batch()
    {
        return fixedBatchSize > 0 ? fixedBatchSize : (images.size() + batchesPerEpoch - 1) / batchesPerEpoch;
    }

    @Override
    public void setPreProcessor(final DataSetPreProcessor preProcessor)
    {
        this.preProcessor = preProcessor;
    }

    @Override
    public DataSetPreProcessor getPreProcessor()
    {
        return preProcessor;
    }

    @Override
    public List<String> getLabels()
    {
        return images.classNames();
    }

    private DataSet emit(final int end)
    {
        final DataSet batch = images.toDataSet(order, position, end);
        position = end;
        if (preProcessor != null)
        {
            preProcessor.preProcess(batch);
        }
        return batch;
    }

    private int batchBoundary(final int batch)
    {
        if (fixedBatchSize > 0)
        {
            return (int)Math.min((long)batch * fixedBatchSize, images.size());
        }
        return (int)((long)batch * images.size() / batchesPerEpoch);
    }

    private int batchContaining(final int at)
    {
        if (fixedBatchSize > 0)
        {
            return at / fixedBatchSize;
        }
        int batch = (int)((long)at * batchesPerEpoch / images.size());
        while (batchBoundary(batch + 1) <= at)
        {
            batch++;
        }
        while (batchBoundary(batch) > at)
        {
            batch--;
        }
        return batch;
    }

    private int[] epochOrder(final int epochIndex)
    {
        if (shuffle)
        {
            return LabelledImages.permutation(images.size(), seed + epochIndex * EprShares.SHARE_WORD_STRIDE);
        }
        final int[] identity = new int[images.size()];
        Arrays.setAll(identity, i -> i);
        return identity;
    }
}
