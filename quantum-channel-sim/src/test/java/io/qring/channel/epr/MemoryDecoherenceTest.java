package io.qring.channel.epr;

import io.qring.channel.noise.PauliChannel;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checks the exact storage map against a direct two-qubit density-matrix calculation: Kraus operators
 * of amplitude damping and pure dephasing on each half, projected on the Bell basis.
 */
class MemoryDecoherenceTest
{
    private static final double TOLERANCE = 1e-12;
    private static final double SQRT_HALF = Math.sqrt(0.5);
    /** Bell states in the computational basis |AB⟩ = |00⟩,|01⟩,|10⟩,|11⟩, indexed by Pauli label I, X, Z, Y. */
    private static final double[][] BELL = {
        {SQRT_HALF, 0, 0, SQRT_HALF},
        {0, SQRT_HALF, SQRT_HALF, 0},
        {SQRT_HALF, 0, 0, -SQRT_HALF},
        {0, SQRT_HALF, -SQRT_HALF, 0}};

    @Test
    void shouldRejectUnphysicalMemories()
    {
        assertThrows(IllegalArgumentException.class, () -> new MemoryDecoherence(1, 2.0001));
        assertThrows(IllegalArgumentException.class, () -> new MemoryDecoherence(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new MemoryDecoherence(1, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new MemoryDecoherence(Double.POSITIVE_INFINITY, 1));
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> new MemoryDecoherence(1, 1).ofPerfectPair(-1));
        assertTrue(ex.getMessage().contains("storage time"));
    }

    @Test
    void shouldLeaveThePairAloneAtZeroStorageTime()
    {
        final PauliChannel held = PauliChannel.werner(0.9);
        assertChannel(held, new MemoryDecoherence(1, 0.5).apply(held, 0));
    }

    @Test
    void shouldEqualBothHalvesDampingThenDephasingOfBothHalvesForAPerfectPair()
    {
        final double t1 = 1.0;
        final double t2 = 0.7;
        final MemoryDecoherence memory = new MemoryDecoherence(t1, t2);
        for (final double t : new double[] {0.01, 0.1, 0.5, 2})
        {
            final double gamma = 1 - Math.exp(-t / t1);
            final double dephasingTime = 1 / (1 / t2 - 1 / (2 * t1));
            final PauliChannel perHalf = PauliChannel.dephasing((1 - Math.exp(-t / dephasingTime)) / 2);
            final PauliChannel expected = PauliChannel.amplitudeDampingBothHalves(gamma, gamma).then(perHalf).then(perHalf);
            assertChannel(expected, memory.ofPerfectPair(t));
            assertChannel(expected, densityMatrixStorage(PauliChannel.NOISELESS, t, t1, t2));
        }
    }

    @Test
    void shouldMarkAStoredPairAsDampedOnceTimePasses()
    {
        final MemoryDecoherence memory = new MemoryDecoherence(1, 0.5);
        assertTrue(memory.ofPerfectPair(0.3).fromDamping(), "damped in storage");
        assertFalse(memory.apply(PauliChannel.werner(0.9), 0).fromDamping(), "no storage, no damping");
        assertTrue(memory.apply(PauliChannel.amplitudeDamping(0.1), 0).fromDamping(), "damped before storage");
    }

    @Test
    void shouldHaveNoPureDephasingWhenT2IsTwiceT1()
    {
        final MemoryDecoherence memory = new MemoryDecoherence(1, 2);
        assertEquals(0.0, memory.pureDephasingRate());
        final double gamma = 1 - Math.exp(-0.3);
        assertChannel(PauliChannel.amplitudeDampingBothHalves(gamma, gamma), memory.ofPerfectPair(0.3));
    }

    @Test
    void shouldMatchTheDensityMatrixForEveryHeldBellDiagonal()
    {
        final PauliChannel[] held = {
            PauliChannel.werner(0.8),
            new PauliChannel(1, 0, 0),
            new PauliChannel(0, 1, 0),
            new PauliChannel(0, 0, 1),
            new PauliChannel(0.1, 0.05, 0.2)};
        for (final PauliChannel h : held)
        {
            for (final double t : new double[] {0.05, 0.4, 3})
            {
                assertChannel(densityMatrixStorage(h, t, 1.3, 1.1), new MemoryDecoherence(1.3, 1.1).apply(h, t));
            }
        }
    }

    @Test
    void shouldDifferFromTheNaiveCompositionWhenThePairCarriesXErrors()
    {
        final MemoryDecoherence memory = new MemoryDecoherence(1, 2);
        final PauliChannel held = PauliChannel.bitFlip(1);
        final PauliChannel exact = memory.apply(held, 0.5);
        final PauliChannel naive = held.then(memory.ofPerfectPair(0.5));
        assertChannel(densityMatrixStorage(held, 0.5, 1, 2), exact);
        assertTrue(Math.abs(exact.pY() - naive.pY()) > 0.01, exact + " vs " + naive);
    }

    private static PauliChannel densityMatrixStorage(final PauliChannel held, final double t, final double t1, final double t2)
    {
        double[][] rho = new double[4][4];
        final double[] weights = {held.pI(), held.pX(), held.pZ(), held.pY()};
        for (int k = 0; k < 4; k++)
        {
            for (int i = 0; i < 4; i++)
            {
                for (int j = 0; j < 4; j++)
                {
                    rho[i][j] += weights[k] * BELL[k][i] * BELL[k][j];
                }
            }
        }
        final double gamma = 1 - Math.exp(-t / t1);
        final double[][] damp0 = {{1, 0}, {0, Math.sqrt(1 - gamma)}};
        final double[][] damp1 = {{0, Math.sqrt(gamma)}, {0, 0}};
        final double q = (1 - Math.exp(-t * (1 / t2 - 1 / (2 * t1)))) / 2;
        final double[][] keep = {{Math.sqrt(1 - q), 0}, {0, Math.sqrt(1 - q)}};
        final double[][] flip = {{Math.sqrt(q), 0}, {0, -Math.sqrt(q)}};
        for (int half = 0; half < 2; half++)
        {
            rho = applyOnHalf(rho, half, damp0, damp1);
            rho = applyOnHalf(rho, half, keep, flip);
        }
        final double[] out = new double[4];
        for (int k = 0; k < 4; k++)
        {
            for (int i = 0; i < 4; i++)
            {
                for (int j = 0; j < 4; j++)
                {
                    out[k] += BELL[k][i] * rho[i][j] * BELL[k][j];
                }
            }
        }
        return new PauliChannel(out[1], out[3], out[2]);
    }

    private static double[][] applyOnHalf(final double[][] rho, final int half, final double[][]... kraus)
    {
        final double[][] out = new double[4][4];
        for (final double[][] k : kraus)
        {
            final double[][] full = new double[4][4];
            for (int i = 0; i < 4; i++)
            {
                for (int j = 0; j < 4; j++)
                {
                    final int ia = i >> 1;
                    final int ib = i & 1;
                    final int ja = j >> 1;
                    final int jb = j & 1;
                    full[i][j] = half == 0 ? (ib == jb ? k[ia][ja] : 0) : (ia == ja ? k[ib][jb] : 0);
                }
            }
            for (int i = 0; i < 4; i++)
            {
                for (int j = 0; j < 4; j++)
                {
                    double sum = 0;
                    for (int a = 0; a < 4; a++)
                    {
                        for (int b = 0; b < 4; b++)
                        {
                            sum += full[i][a] * rho[a][b] * full[j][b];
                        }
                    }
                    out[i][j] += sum;
                }
            }
        }
        return out;
    }

    private static void assertChannel(final PauliChannel expected, final PauliChannel actual)
    {
        assertEquals(expected.pX(), actual.pX(), TOLERANCE, "pX " + expected + " vs " + actual);
        assertEquals(expected.pY(), actual.pY(), TOLERANCE, "pY " + expected + " vs " + actual);
        assertEquals(expected.pZ(), actual.pZ(), TOLERANCE, "pZ " + expected + " vs " + actual);
    }
}
