package io.qring.samples.data;

import org.eclipse.deeplearning4j.resources.utils.CifarResourceConstants;
import org.nd4j.common.resources.Downloader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Loads real CIFAR-10 from the standard binary batches, found in this order: the directory the user
 * gave (which must hold them), the qring cache, DL4J's own CIFAR-10 cache (where
 * {@code Cifar10DataSetIterator} keeps it), or else downloaded with DL4J's downloader from DL4J's
 * CIFAR-10 address (MD5 checked) into the qring cache when that host answers within the connect
 * timeout. The batches are read by {@link Cifar10Binary}, which needs no OpenCV.
 */
public final class Cifar10Data
{
    /** MD5 of {@code cifar-10-binary.tar.gz} as published with the data set. */
    public static final String ARCHIVE_MD5 = "c32a1d4ab5d03f1284b67883e8d87530";

    private static final int DOWNLOAD_ATTEMPTS = 1;
    private static final Logger LOG = LoggerFactory.getLogger(Cifar10Data.class);

    private Cifar10Data()
    {
    }

    /**
     * @param context data settings; {@link DataContext#conclude()} is applied.
     * @return training and test images, limited as the context asks.
     * @throws DataUnavailableException naming what was tried and how to get the data.
     */
    public static TrainTestData load(final DataContext context)
    {
        context.conclude();
        final Path batches = locate(context);
        try
        {
            return Cifar10Binary.load(batches, context.seed()).limit(context.maxTrainExamples(), context.maxTestExamples());
        }
        catch (final IOException ex)
        {
            throw new DataUnavailableException("CIFAR-10 batches in " + batches + " could not be read (" +
                ex.getMessage() + "). " + howTo(), ex);
        }
    }

    private static Path locate(final DataContext context)
    {
        final Path given = context.dataDirectory();
        if (given != null)
        {
            if (!Files.isDirectory(given))
            {
                throw new DataUnavailableException("CIFAR-10 data directory " + given + " does not exist. " + howTo());
            }
            return Cifar10Binary.locate(given).orElseThrow(() -> new DataUnavailableException(
                "CIFAR-10 data directory " + given + " does not hold " + String.join(", ", Cifar10Binary.TRAIN_FILES) +
                " and " + Cifar10Binary.TEST_FILE + " (directly or in " + Cifar10Binary.BATCHES_DIRECTORY + "/). " + howTo()));
        }
        final Path cache = context.cifar10CacheDirectory();
        final Optional<Path> cached = Cifar10Binary.locate(cache)
            .or(() -> Cifar10Binary.locate(CifarResourceConstants.CIFAR_DEFAULT_DIR.toPath()));
        return cached.orElseGet(() -> download(context, cache));
    }

    private static Path download(final DataContext context, final Path cache)
    {
        if (!context.dl4jDownload())
        {
            throw new DataUnavailableException("CIFAR-10 is not cached in " + cache + " and downloads are disabled. " + howTo());
        }
        final URI archive = archiveUri();
        final Optional<String> unreachable = HostProbe.unreachableReason(archive, context.connectTimeout());
        if (unreachable.isPresent())
        {
            throw new DataUnavailableException("CIFAR-10 is not cached in " + cache + " and its download is unreachable: " +
                unreachable.get() + ". " + howTo());
        }
        try
        {
            Files.createDirectories(cache);
            LOG.info("downloading {} (about 170 MB) into {}", archive, cache);
            Downloader.downloadAndExtract("CIFAR-10", archive.toURL(),
                cache.resolve(CifarResourceConstants.CIFAR_ARCHIVE_FILE).toFile(), cache.toFile(), ARCHIVE_MD5,
                DOWNLOAD_ATTEMPTS, (int)context.connectTimeout().toMillis(), (int)context.readTimeout().toMillis());
        }
        catch (final IOException | RuntimeException ex)
        {
            throw new DataUnavailableException("CIFAR-10 download failed: " + ex.getMessage() + ". " + howTo(), ex);
        }
        return Cifar10Binary.locate(cache).orElseThrow(() -> new DataUnavailableException(
            "the downloaded CIFAR-10 archive did not hold the binary batches. " + howTo()));
    }

    private static URI archiveUri()
    {
        return URI.create(CifarResourceConstants.CIFAR_ROOT_URL + "/" + CifarResourceConstants.CIFAR_ARCHIVE_FILE);
    }

    private static String howTo()
    {
        return "To get it: download " + archiveUri() + " (MD5 " + ARCHIVE_MD5 + "), extract it and pass the extracted " +
            Cifar10Binary.BATCHES_DIRECTORY + " directory (or its parent) with --data-dir, or run without --data-dir " +
            "on a machine that can reach " + archiveUri().getHost() + " to download it automatically.";
    }
}
