package io.qring.dl4j;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostBufferTest
{
    @Test
    void shouldAcceptThisMachinesCpuBackend()
    {
        assertTrue(Nd4j.getEnvironment().isCPU(), Nd4j.getBackend().getClass().getName());
        assertDoesNotThrow(() -> HostBuffer.requireCpuBackend());
    }

    @Test
    void shouldRefuseAnyOtherBackendNamingIt()
    {
        final IllegalStateException failure = assertThrows(IllegalStateException.class,
            () -> HostBuffer.requireCpuBackend(false, "org.nd4j.linalg.jcublas.JCublasBackend"));

        assertTrue(failure.getMessage().contains("support only ND4J's CPU backend (nd4j-native), but ND4J runs on " +
            "org.nd4j.linalg.jcublas.JCublasBackend"), failure.getMessage());
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void shouldCopyVectorsInAndOutAtAnOffset(final DataType type)
    {
        final INDArray source = Nd4j.linspace(1, 12, 12, DataType.DOUBLE).castTo(type).reshape(3, 4);
        final INDArray column = source.get(NDArrayIndex.all(), NDArrayIndex.point(2));
        final INDArray staging = HostBuffer.detachedVector(type, 3);
        staging.assign(column);
        final HostBuffer buffer = HostBuffer.allocate(type, 5);

        buffer.read(staging, 2);
        buffer.set(0, 0.5);

        assertArrayEquals(new double[] {0.5, 0, 3, 7, 11}, values(buffer));
        final INDArray back = HostBuffer.detachedVector(type, 3);
        buffer.write(back, 1);
        assertArrayEquals(new double[] {0, 3, 7}, back.castTo(DataType.DOUBLE).toDoubleVector());
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void shouldSumCompareAndCheckFiniteness(final DataType type)
    {
        final HostBuffer a = HostBuffer.allocate(type, 3);
        final HostBuffer b = HostBuffer.allocate(type, 3);
        a.set(0, 1);
        a.set(1, 2);
        b.set(0, 1);
        b.set(1, 3);

        assertTrue(a.compareTo(b) < 0);
        a.add(b, 3);
        a.divide(0, 2, 4);
        assertArrayEquals(new double[] {0.5, 1.25, 0}, values(a));
        assertTrue(a.allFinite(0, 3));
        b.set(2, Double.NaN);
        assertFalse(b.allFinite(0, 3));
        assertTrue(b.allFinite(0, 2));
        final HostBuffer same = HostBuffer.allocate(type, 3);
        same.set(0, 0.5);
        same.set(1, 1.25);
        assertEquals(0, a.compareTo(same), "equal values compare equal");
        assertTrue(same.compareTo(b) < 0 && b.compareTo(same) > 0, "order follows the first differing value");
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"HALF", "INT"})
    void shouldRejectOtherDtypes(final DataType type)
    {
        assertThrows(IllegalArgumentException.class, () -> HostBuffer.allocate(type, 1));
    }

    private static double[] values(final HostBuffer buffer)
    {
        final double[] values = new double[buffer.length()];
        for (int i = 0; i < values.length; i++)
        {
            values[i] = buffer.get(i);
        }
        return values;
    }
}
