package io.qring.channel.exact;

/**
 * An immutable complex 2x2 matrix: a single-qubit gate or Kraus operator of the exact checker.
 * Entries are addressed {@code (row, column)} in the computational basis |0⟩, |1⟩.
 */
public final class Matrix2
{
    private static final double INV_SQRT2 = 1 / Math.sqrt(2);

    /** The identity I. */
    public static final Matrix2 IDENTITY = real(1, 0, 0, 1);
    /** Pauli X (bit flip). */
    public static final Matrix2 PAULI_X = real(0, 1, 1, 0);
    /** Pauli Y = [[0, −i], [i, 0]]. */
    public static final Matrix2 PAULI_Y = of(0, 0, 0, -1, 0, 1, 0, 0);
    /** Pauli Z (phase flip). */
    public static final Matrix2 PAULI_Z = real(1, 0, 0, -1);
    /** Hadamard H = (X + Z)/√2. */
    public static final Matrix2 HADAMARD = real(INV_SQRT2, INV_SQRT2, INV_SQRT2, -INV_SQRT2);
    /** Phase gate S = diag(1, i). */
    public static final Matrix2 PHASE_S = of(1, 0, 0, 0, 0, 0, 0, 1);
    /** Projector |0⟩⟨0|. */
    public static final Matrix2 PROJECTOR_0 = real(1, 0, 0, 0);
    /** Projector |1⟩⟨1|. */
    public static final Matrix2 PROJECTOR_1 = real(0, 0, 0, 1);
    /** Lowering operator |0⟩⟨1| (decay of |1⟩ to |0⟩). */
    public static final Matrix2 LOWERING = real(0, 1, 0, 0);

    private final double re00;
    private final double im00;
    private final double re01;
    private final double im01;
    private final double re10;
    private final double im10;
    private final double re11;
    private final double im11;

    private Matrix2(
        final double re00, final double im00, final double re01, final double im01,
        final double re10, final double im10, final double re11, final double im11)
    {
        this.re00 = re00;
        this.im00 = im00;
        this.re01 = re01;
        this.im01 = im01;
        this.re10 = re10;
        this.im10 = im10;
        this.re11 = re11;
        this.im11 = im11;
    }

    /**
     * A complex matrix from its entries, real and imaginary part of each, row by row.
     *
     * @param re00 Re of entry (0, 0).
     * @param im00 Im of entry (0, 0).
     * @param re01 Re of entry (0, 1).
     * @param im01 Im of entry (0, 1).
     * @param re10 Re of entry (1, 0).
     * @param im10 Im of entry (1, 0).
     * @param re11 Re of entry (1, 1).
     * @param im11 Im of entry (1, 1).
     * @return the matrix.
     * @throws IllegalArgumentException if an entry is NaN or infinite.
     */
    public static Matrix2 of(
        final double re00, final double im00, final double re01, final double im01,
        final double re10, final double im10, final double re11, final double im11)
    {
        final double[] entries = { re00, im00, re01, im01, re10, im10, re11, im11 };
        for (final double entry : entries)
        {
            if (!Double.isFinite(entry))
            {
                throw new IllegalArgumentException("matrix entries must be finite, got " + entry);
            }
        }
        return new Matrix2(re00, im00, re01, im01, re10, im10, re11, im11);
    }

    /**
     * A real matrix from its entries, row by row.
     *
     * @param a00 entry (0, 0).
     * @param a01 entry (0, 1).
     * @param a10 entry (1, 0).
     * @param a11 entry (1, 1).
     * @return the matrix.
     */
    public static Matrix2 real(final double a00, final double a01, final double a10, final double a11)
    {
        return of(a00, 0, a01, 0, a10, 0, a11, 0);
    }

    /**
     * The general single-qubit unitary U3(θ, φ, λ) = [[cos(θ/2), −e^{iλ} sin(θ/2)],
     * [e^{iφ} sin(θ/2), e^{i(φ+λ)} cos(θ/2)]]; every single-qubit unitary equals one of these up to a
     * global phase.
     *
     * @param theta polar angle θ.
     * @param phi   phase φ.
     * @param lambda phase λ.
     * @return the unitary.
     */
    public static Matrix2 u3(final double theta, final double phi, final double lambda)
    {
        final double cos = Math.cos(theta / 2);
        final double sin = Math.sin(theta / 2);
        return of(
            cos, 0,
            -Math.cos(lambda) * sin, -Math.sin(lambda) * sin,
            Math.cos(phi) * sin, Math.sin(phi) * sin,
            Math.cos(phi + lambda) * cos, Math.sin(phi + lambda) * cos);
    }

    /**
     * @param row    0 or 1.
     * @param column 0 or 1.
     * @return real part of the entry.
     */
    public double re(final int row, final int column)
    {
        return switch (index(row, column))
        {
            case 0 -> re00;
            case 1 -> re01;
            case 2 -> re10;
            default -> re11;
        };
    }

    /**
     * @param row    0 or 1.
     * @param column 0 or 1.
     * @return imaginary part of the entry.
     */
    public double im(final int row, final int column)
    {
        return switch (index(row, column))
        {
            case 0 -> im00;
            case 1 -> im01;
            case 2 -> im10;
            default -> im11;
        };
    }

    /**
     * Matrix product {@code this · right}.
     *
     * @param right the factor applied first to a vector.
     * @return the product.
     */
    public Matrix2 times(final Matrix2 right)
    {
        final double[] re = new double[4];
        final double[] im = new double[4];
        for (int row = 0; row < 2; row++)
        {
            for (int column = 0; column < 2; column++)
            {
                double sumRe = 0;
                double sumIm = 0;
                for (int k = 0; k < 2; k++)
                {
                    final double aRe = re(row, k);
                    final double aIm = im(row, k);
                    final double bRe = right.re(k, column);
                    final double bIm = right.im(k, column);
                    sumRe += aRe * bRe - aIm * bIm;
                    sumIm += aRe * bIm + aIm * bRe;
                }
                re[2 * row + column] = sumRe;
                im[2 * row + column] = sumIm;
            }
        }
        return of(re[0], im[0], re[1], im[1], re[2], im[2], re[3], im[3]);
    }

    /**
     * @param factor real scale factor.
     * @return {@code factor · this}.
     */
    public Matrix2 scale(final double factor)
    {
        return of(
            factor * re00, factor * im00, factor * re01, factor * im01,
            factor * re10, factor * im10, factor * re11, factor * im11);
    }

    /**
     * @param other the matrix to add.
     * @return {@code this + other}.
     */
    public Matrix2 plus(final Matrix2 other)
    {
        return of(
            re00 + other.re00, im00 + other.im00, re01 + other.re01, im01 + other.im01,
            re10 + other.re10, im10 + other.im10, re11 + other.re11, im11 + other.im11);
    }

    /** @return the conjugate transpose M†. */
    public Matrix2 adjoint()
    {
        return of(re00, -im00, re10, -im10, re01, -im01, re11, -im11);
    }

    /** @return the entry-wise complex conjugate M*. */
    public Matrix2 conjugate()
    {
        return of(re00, -im00, re01, -im01, re10, -im10, re11, -im11);
    }

    /**
     * @param other the matrix to compare with.
     * @return the largest modulus of an entry of {@code this − other}.
     */
    public double maxAbsDifference(final Matrix2 other)
    {
        double max = 0;
        for (int row = 0; row < 2; row++)
        {
            for (int column = 0; column < 2; column++)
            {
                max = Math.max(max, Math.hypot(re(row, column) - other.re(row, column), im(row, column) - other.im(row, column)));
            }
        }
        return max;
    }

    /**
     * @param tolerance largest entry-wise deviation of M†M from I accepted.
     * @return whether this matrix is unitary within the tolerance.
     */
    public boolean isUnitary(final double tolerance)
    {
        return adjoint().times(this).maxAbsDifference(IDENTITY) <= tolerance;
    }

    /** {@inheritDoc} */
    @Override
    public String toString()
    {
        return "[[" + re00 + (im00 < 0 ? "" : "+") + im00 + "i, " + re01 + (im01 < 0 ? "" : "+") + im01 + "i], [" +
            re10 + (im10 < 0 ? "" : "+") + im10 + "i, " + re11 + (im11 < 0 ? "" : "+") + im11 + "i]]";
    }

    private static int index(final int row, final int column)
    {
        if ((row & ~1) != 0 || (column & ~1) != 0)
        {
            throw new IndexOutOfBoundsException("2x2 matrix has no entry (" + row + ", " + column + ")");
        }
        return 2 * row + column;
    }
}
