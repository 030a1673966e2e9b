package io.qring.allreduce.aeron;

import io.aeron.CommonContext;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.qring.allreduce.config.RingContext;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.util.concurrent.TimeUnit;

/**
 * The one embedded Aeron media driver of this process, shared by every rank that runs here and
 * reference-counted: the first {@link #acquire} launches it, the last {@link Lease#close()} stops it.
 * It runs in a fresh unique directory (deleted on start and on shutdown, and by a JVM shutdown hook if the
 * process exits while the driver runs: the name is random, so no later start would reuse and clean it), with one shared agent thread
 * and the links' default backoff idle strategy ({@link RingContext#defaultIdleStrategy()}), which suits
 * small machines (DESIGN §6). Term lengths are set per channel by the rings, not here.
 */
public final class EmbeddedMediaDriver
{
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedMediaDriver.class);
    private static final Object LOCK = new Object();
    private static MediaDriver driver;
    private static Thread directoryRemover;
    private static int references;

    private EmbeddedMediaDriver()
    {
    }

    /**
     * Takes a reference to the process's embedded driver, launching it if none runs.
     *
     * @param livenessTimeoutNs image liveness and publication connection timeout used if the driver is
     *                          launched now (a running driver keeps its settings).
     * @return a lease to close when the caller no longer needs the driver.
     */
    public static Lease acquire(final long livenessTimeoutNs)
    {
        synchronized (LOCK)
        {
            if (null == driver)
            {
                final long timerIntervalNs = Math.max(TimeUnit.MILLISECONDS.toNanos(10),
                    Math.min(TimeUnit.SECONDS.toNanos(1), livenessTimeoutNs / 4));
                final MediaDriver.Context context = new MediaDriver.Context()
                    .aeronDirectoryName(CommonContext.generateRandomDirName())
                    .dirDeleteOnStart(true)
                    .dirDeleteOnShutdown(true)
                    .warnIfDirectoryExists(false)
                    .threadingMode(ThreadingMode.SHARED)
                    .sharedIdleStrategy(RingContext.defaultIdleStrategy())
                    .imageLivenessTimeoutNs(livenessTimeoutNs)
                    .publicationConnectionTimeoutNs(livenessTimeoutNs)
                    .publicationLingerTimeoutNs(Math.min(livenessTimeoutNs, TimeUnit.SECONDS.toNanos(1)))
                    .timerIntervalNs(timerIntervalNs)
                    .errorHandler(ex -> LOG.warn("embedded media driver error", ex));
                driver = MediaDriver.launch(context);
                directoryRemover = directoryRemover(driver.aeronDirectoryName());
                Runtime.getRuntime().addShutdownHook(directoryRemover);
                LOG.debug("launched embedded media driver in {}", driver.aeronDirectoryName());
            }
            references++;
            return new Lease(driver.aeronDirectoryName());
        }
    }

    /** @return the directory of the running embedded driver, or {@code null} if none runs. */
    public static String runningDirectory()
    {
        synchronized (LOCK)
        {
            return null == driver ? null : driver.aeronDirectoryName();
        }
    }

    private static void release()
    {
        synchronized (LOCK)
        {
            if (--references == 0)
            {
                final MediaDriver stopping = driver;
                driver = null;
                CloseHelper.quietClose(stopping);
                removeShutdownHook(directoryRemover);
                directoryRemover = null;
                LOG.debug("stopped embedded media driver");
            }
        }
    }

    /**
     * A shutdown hook that deletes the driver's directory, for a process that exits with leases still
     * open (System.exit, an uncaught exception in main, SIGTERM from a launcher). It only deletes files:
     * the driver's threads may still be running and stop with the JVM; Linux frees the mapped files then.
     */
    private static Thread directoryRemover(final String aeronDirectoryName)
    {
        return new Thread(() -> IoUtil.delete(new File(aeronDirectoryName), true), "qring-embedded-driver-cleanup");
    }

    private static void removeShutdownHook(final Thread hook)
    {
        try
        {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        catch (final IllegalStateException ex)
        {
            LOG.debug("the JVM is shutting down; its hook deletes the driver directory", ex);
        }
    }

    /** A reference to the embedded driver. */
    public static final class Lease implements AutoCloseable
    {
        private final String aeronDirectoryName;
        private boolean closed;

        private Lease(final String aeronDirectoryName)
        {
            this.aeronDirectoryName = aeronDirectoryName;
        }

        /** @return the driver's directory, for {@code Aeron.Context#aeronDirectoryName}. */
        public String aeronDirectoryName()
        {
            return aeronDirectoryName;
        }

        /** Drops the reference; the last one stops the driver and deletes its directory. Idempotent. */
        @Override
        public void close()
        {
            synchronized (LOCK)
            {
                if (closed)
                {
                    return;
                }
                closed = true;
            }
            release();
        }
    }
}
