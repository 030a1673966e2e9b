package io.qring.samples.cli;

import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

/**
 * What decides a training run's floating-point results besides its seed and configuration: ND4J's backend,
 * its BLAS library and the CPU whose kernels that library picks at run time. OpenBLAS picks its matrix
 * kernels by CPU, and different kernels sum in different orders: on one machine {@code ./qring mnist} ended
 * with three different final parameters under {@code OPENBLAS_CORETYPE=Haswell}, {@code SkylakeX} and
 * {@code Sandybridge}. So the same command and seed reproduce a report's parameters bit for bit only where
 * the kernels match; {@value #CORE_TYPE_ENV} pins OpenBLAS's. A rank uses the same kernels for both rings,
 * so comparing the rings never depends on this.
 */
final class NumericsDescription
{
    /** Environment variable naming the OpenBLAS kernels to use instead of the ones picked for the CPU. */
    static final String CORE_TYPE_ENV = "OPENBLAS_CORETYPE";

    private static final String OPENBLAS = "OPENBLAS";
    private static final Path CPU_INFO = Path.of("/proc/cpuinfo");
    private static final String MODEL_NAME = "model name";

    private NumericsDescription()
    {
    }

    /**
     * Describes this JVM's ND4J backend and BLAS library, this machine's CPU and the {@value #CORE_TYPE_ENV}
     * this process was started with, which is what OpenBLAS read when it loaded.
     *
     * @return e.g. {@code "ND4J CPU backend, OpenBLAS kernels picked for AMD EPYC (...)"}.
     */
    static String ofThisMachine()
    {
        final Properties information = Nd4j.getExecutioner().getEnvironmentInformation();
        return describe(String.valueOf(information.getOrDefault("backend", "unknown")),
            String.valueOf(information.getOrDefault("blas.vendor", "unknown")), cpuModel(readCpuInfo()),
            System.getenv(CORE_TYPE_ENV));
    }

    /**
     * @param backend    ND4J's backend, e.g. {@code CPU}.
     * @param blasVendor ND4J's BLAS vendor, e.g. {@code OPENBLAS}.
     * @param cpuModel   the CPU's model name, or {@code null} where unknown.
     * @param coreType   the value of {@value #CORE_TYPE_ENV}, or {@code null} where unset.
     * @return the description a report carries as its {@code numerics} setting.
     */
    static String describe(final String backend, final String blasVendor, final String cpuModel, final String coreType)
    {
        final String cpu = null == cpuModel ? "this CPU (model unknown)" : cpuModel;
        final String prefix = "ND4J " + backend + " backend, ";
        if (!OPENBLAS.equals(blasVendor))
        {
            return prefix + blasVendor + " on " + cpu;
        }
        if (null != coreType && !coreType.isBlank())
        {
            return prefix + "OpenBLAS kernels " + CORE_TYPE_ENV + "=" + coreType + " on " + cpu;
        }
        return prefix + "OpenBLAS kernels picked for " + cpu + " (other kernels give other final parameters; " +
            CORE_TYPE_ENV + ", e.g. Haswell, pins them)";
    }

    /**
     * @param cpuInfo the lines of {@code /proc/cpuinfo}; empty where there is none.
     * @return the first processor's model name, or {@code null} if the lines name none.
     */
    static String cpuModel(final List<String> cpuInfo)
    {
        for (final String line : cpuInfo)
        {
            final int colon = line.indexOf(':');
            if (colon > 0 && MODEL_NAME.equals(line.substring(0, colon).trim()))
            {
                final String model = line.substring(colon + 1).trim();
                return model.isEmpty() ? null : model;
            }
        }
        return null;
    }

    /** @return the lines of {@code /proc/cpuinfo}, or none where it is missing or unreadable (the CPU is then unknown). */
    private static List<String> readCpuInfo()
    {
        try
        {
            return Files.readAllLines(CPU_INFO, StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            return List.of();
        }
    }
}
