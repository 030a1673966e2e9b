package io.qring.samples.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NumericsDescriptionTest
{
    @Test
    void shouldReadTheFirstProcessorsModelName()
    {
        final List<String> cpuInfo = List.of("processor\t: 0", "vendor_id\t: AuthenticAMD", "model\t\t: 1",
            "model name\t: AMD EPYC 7B13", "processor\t: 1", "model name\t: Other");

        assertEquals("AMD EPYC 7B13", NumericsDescription.cpuModel(cpuInfo));
    }

    @Test
    void shouldNameNoModelWhereCpuInfoHasNone()
    {
        assertNull(NumericsDescription.cpuModel(List.of()));
        assertNull(NumericsDescription.cpuModel(List.of("processor\t: 0", "model\t\t: 1", "model name\t:")));
    }

    @Test
    void shouldSayThatOpenBlasPicksItsKernelsForTheCpuAndHowToPinThem()
    {
        assertEquals("ND4J CPU backend, OpenBLAS kernels picked for AMD EPYC (other kernels give other final parameters; " +
            "OPENBLAS_CORETYPE, e.g. Haswell, pins them)", NumericsDescription.describe("CPU", "OPENBLAS", "AMD EPYC", null));
        assertEquals("ND4J CPU backend, OpenBLAS kernels OPENBLAS_CORETYPE=SkylakeX on AMD EPYC",
            NumericsDescription.describe("CPU", "OPENBLAS", "AMD EPYC", "SkylakeX"));
    }

    @Test
    void shouldNameAnotherBlasLibraryAndAnUnknownCpu()
    {
        assertEquals("ND4J CPU backend, MKL on this CPU (model unknown)", NumericsDescription.describe("CPU", "MKL", null, "Haswell"));
    }

    @Test
    void shouldDescribeThisJvmsBackendAndTheCoreTypeThisProcessWasStartedWith()
    {
        final String coreType = System.getenv(NumericsDescription.CORE_TYPE_ENV);

        final String described = NumericsDescription.ofThisMachine();

        assertTrue(described.startsWith(null == coreType || coreType.isBlank() ? "ND4J CPU backend, OpenBLAS kernels picked for " :
            "ND4J CPU backend, OpenBLAS kernels OPENBLAS_CORETYPE=" + coreType + " on "), described);
    }
}
