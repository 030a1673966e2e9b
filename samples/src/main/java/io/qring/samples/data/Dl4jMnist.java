package io.qring.samples.data;

import org.deeplearning4j.common.resources.DL4JResources;
import org.deeplearning4j.datasets.fetchers.MnistDataFetcher;
import org.deeplearning4j.datasets.iterator.impl.MnistDataSetIterator;
import org.eclipse.deeplearning4j.resources.DataSetResource;
import org.eclipse.deeplearning4j.resources.ResourceDataSets;
import org.eclipse.deeplearning4j.resources.utils.MnistResourceConstants;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The full MNIST set (60,000 train / 10,000 test) through DL4J's own {@link MnistDataSetIterator}.
 * DL4J's fetcher downloads with long timeouts, so the idx files are fetched here first, after a
 * short-deadline probe of DL4J's download host and with the context's connect/read timeouts; the
 * iterator then finds them in place.
 */
final class Dl4jMnist
{
    private static final int READ_BATCH = 1_000;
    private static final int DOWNLOAD_ATTEMPTS = 1;
    private static final Logger LOG = LoggerFactory.getLogger(Dl4jMnist.class);

    private Dl4jMnist()
    {
    }

    /** @return where DL4J's MNIST idx files are cached: {@code <mnistDirectory>/dl4j}. */
    static Path directory(final DataContext context)
    {
        return context.mnistDirectory().resolve("dl4j");
    }

    /**
     * @param context data settings.
     * @return the full MNIST split, training examples in a seeded random order.
     * @throws DataUnavailableException saying why DL4J's copy could not be used.
     */
    static TrainTestData load(final DataContext context)
    {
        final File directory = directory(context).toFile();
        final List<DataSetResource> resources = List.of(
            ResourceDataSets.mnistTrain(directory), ResourceDataSets.mnistTrainLabels(directory),
            ResourceDataSets.mnistTest(directory), ResourceDataSets.mnistTestLabels(directory));
        if (!resources.stream().allMatch(DataSetResource::existsLocally))
        {
            download(context, resources);
        }
        try
        {
            final LabelledImages train = read(directory, true, MnistDataFetcher.NUM_EXAMPLES, context.seed());
            final LabelledImages test = read(directory, false, MnistDataFetcher.NUM_EXAMPLES_TEST, context.seed());
            return new TrainTestData("DL4J MnistDataSetIterator: " + train.size() + " train / " + test.size() +
                " test MNIST digits (training order shuffled, seed " + context.seed() + ")",
                train.shuffled(context.seed()), test);
        }
        catch (final IOException | RuntimeException ex)
        {
            throw new DataUnavailableException("DL4J's MNIST files in " + directory + " could not be read: " + ex, ex);
        }
    }

    private static void download(final DataContext context, final List<DataSetResource> resources)
    {
        if (!context.dl4jDownload())
        {
            throw new DataUnavailableException("DL4J's MNIST files are not in " + directory(context) +
                " and DL4J downloads are disabled");
        }
        final URI root = URI.create(DL4JResources.getURLString(MnistResourceConstants.MNIST_ROOT));
        final Optional<String> unreachable = HostProbe.unreachableReason(root, context.connectTimeout());
        if (unreachable.isPresent())
        {
            throw new DataUnavailableException("DL4J's MNIST download is unreachable: " + unreachable.get());
        }
        try
        {
            Files.createDirectories(directory(context));
            for (final DataSetResource resource : resources)
            {
                if (!resource.existsLocally())
                {
                    LOG.info("downloading {} through DL4J", resource.archiveFileName());
                    resource.download(true, DOWNLOAD_ATTEMPTS,
                        (int)context.connectTimeout().toMillis(), (int)context.readTimeout().toMillis());
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            throw new DataUnavailableException("DL4J's MNIST download failed: " + ex.getMessage(), ex);
        }
    }

    private static LabelledImages read(final File directory, final boolean train, final int count, final long seed)
        throws IOException
    {
        final byte[] pixels = new byte[count * MnistNpmPackage.PIXELS];
        final byte[] labels = new byte[count];
        int example = 0;
        final MnistDataSetIterator iterator = new MnistDataSetIterator(READ_BATCH, count, false, train, false, seed, directory);
        try
        {
            while (iterator.hasNext() && example < count)
            {
                final DataSet batch = iterator.next();
                final float[][] features = batch.getFeatures().toFloatMatrix();
                final int[] classes = batch.getLabels().argMax(1).toIntVector();
                for (int i = 0; i < features.length && example < count; i++, example++)
                {
                    for (int j = 0; j < MnistNpmPackage.PIXELS; j++)
                    {
                        pixels[example * MnistNpmPackage.PIXELS + j] =
                            (byte)Math.round(features[i][j] * LabelledImages.PIXEL_SCALE);
                    }
                    labels[example] = (byte)classes[i];
                }
            }
        }
        finally
        {
            iterator.close();
        }
        if (example != count)
        {
            throw new IOException("DL4J's MNIST iterator gave " + example + " examples, expected " + count);
        }
        return new LabelledImages(new int[]{MnistNpmPackage.PIXELS}, MnistNpmPackage.CLASS_NAMES, pixels, labels);
    }
}
