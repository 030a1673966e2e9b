package io.qring.samples.launcher;

import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J's native (OpenMP and BLAS) threads when ranks share the cores. Several ranks in one JVM, or one
 * child JVM per rank, run fastest on small machines with one native thread each (ND4J's default is one
 * per core). The {@code qring} script exports {@code OMP_NUM_THREADS=1} and the {@link ProcessLauncher}
 * gives every child the same; {@link #limitUnlessSet()} applies the limit in a JVM started without it.
 */
public final class NativeThreads
{
    /** Environment variable of the OpenMP thread count of ND4J's native code. */
    public static final String OMP_THREADS_ENV = "OMP_NUM_THREADS";
    /** Native threads of each rank (or worker). */
    public static final int PER_RANK = 1;

    private NativeThreads()
    {
    }

    /** Limits ND4J to {@value #PER_RANK} native thread per caller unless {@value #OMP_THREADS_ENV} is set. */
    public static void limitUnlessSet()
    {
        if (null == System.getenv(OMP_THREADS_ENV))
        {
            Nd4j.getEnvironment().setMaxMasterThreads(PER_RANK);
            Nd4j.getEnvironment().setMaxThreads(PER_RANK);
            Nd4j.factory().blas().setMaxThreads(PER_RANK);
        }
    }
}
