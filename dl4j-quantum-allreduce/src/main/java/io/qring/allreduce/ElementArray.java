package io.qring.allreduce;

import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.UnsafeApi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Objects;

/**
 * The array an all-reduce works on, behind one interface for float and double so the ring schedule is
 * written once. Elements travel little-endian.
 * <p>
 * The per-element loops are the ring's hot path, so they are written for the JIT: on a little-endian
 * platform a received chunk is block-copied ({@code memcpy}) out of the transport's buffer, into the
 * array for {@link #copyIn} and into a reused scratch array for {@link #add}, whose element loop then
 * compiles to SIMD instructions; {@link #firstNonFinite} ORs exponent tests over blocks (SIMD too) and
 * only looks for the exact index in a block that holds one.
 */
abstract class ElementArray
{
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    /** Elements per block of the non-finite scan. */
    static final int SCAN_BLOCK = 4096;
    private static final boolean NATIVE_LITTLE_ENDIAN = ORDER == BufferUtil.NATIVE_BYTE_ORDER;
    private static final long FLOAT_ARRAY_BASE = UnsafeApi.arrayBaseOffset(float[].class);
    private static final long DOUBLE_ARRAY_BASE = UnsafeApi.arrayBaseOffset(double[].class);

    abstract int length();

    abstract int elementBytes();

    abstract String typeName();

    /** Writes elements [from, from + count), little-endian, at the start of {@code target}. */
    abstract void copyOut(int from, int count, ByteBuffer view);

    /** element[from + i] = element[from + i] + received[i]. */
    abstract void add(DirectBuffer source, int offset, int from, int count);

    /** element[from + i] = received[i]. */
    abstract void copyIn(DirectBuffer source, int offset, int from, int count);

    abstract void divide(int from, int count, int divisor);

    /** @return first index holding NaN or an infinity, or -1. */
    abstract int firstNonFinite();

    abstract double valueAt(int index);

    /** @return the end of the scan block starting at {@code start}, in long arithmetic: arrays may end near 2^31. */
    static int scanBlockEnd(final int start, final int length)
    {
        return (int)Math.min(length, (long)start + SCAN_BLOCK);
    }

    /** float[] elements. */
    static final class Floats extends ElementArray
    {
        private float[] data;
        private float[] received = new float[0];
        private FloatBuffer view;
        private ByteBuffer viewOf;

        Floats wrap(final float[] data)
        {
            this.data = data;
            return this;
        }

        @Override
        int length()
        {
            return data.length;
        }

        @Override
        int elementBytes()
        {
            return Float.BYTES;
        }

        @Override
        String typeName()
        {
            return "float";
        }

        @Override
        void copyOut(final int from, final int count, final ByteBuffer target)
        {
            if (viewOf != target)
            {
                viewOf = target;
                view = target.duplicate().order(ORDER).asFloatBuffer();
            }
            view.clear();
            view.put(data, from, count);
        }

        @Override
        void add(final DirectBuffer source, final int offset, final int from, final int count)
        {
            Objects.checkFromIndexSize(from, count, data.length);
            if (received.length < count)
            {
                received = new float[count];
            }
            final float[] r = received;
            copy(source, offset, r, 0, count);
            final float[] d = data;
            for (int i = 0; i < count; i++)
            {
                d[from + i] += r[i];
            }
        }

        @Override
        void copyIn(final DirectBuffer source, final int offset, final int from, final int count)
        {
            copy(source, offset, data, from, count);
        }

        private static void copy(final DirectBuffer source, final int offset, final float[] target, final int from, final int count)
        {
            source.boundsCheck(offset, count * Float.BYTES);
            Objects.checkFromIndexSize(from, count, target.length);
            if (NATIVE_LITTLE_ENDIAN)
            {
                UnsafeApi.copyMemory(source.byteArray(), source.addressOffset() + offset,
                    target, FLOAT_ARRAY_BASE + (long)from * Float.BYTES, (long)count * Float.BYTES);
            }
            else
            {
                for (int i = 0; i < count; i++)
                {
                    target[from + i] = source.getFloat(offset + i * Float.BYTES, ORDER);
                }
            }
        }

        @Override
        void divide(final int from, final int count, final int divisor)
        {
            final float[] d = data;
            final float n = divisor;
            for (int i = from, end = from + count; i < end; i++)
            {
                d[i] /= n;
            }
        }

        @Override
        int firstNonFinite()
        {
            final float[] d = data;
            for (int start = 0; start < d.length; start = scanBlockEnd(start, d.length))
            {
                final int end = scanBlockEnd(start, d.length);
                int exponentOverflow = 0;
                for (int i = start; i < end; i++)
                {
                    exponentOverflow |= (Float.floatToRawIntBits(d[i]) & 0x7F80_0000) + 0x0080_0000;
                }
                if (exponentOverflow < 0)
                {
                    for (int i = start; i < end; i++)
                    {
                        if (!Float.isFinite(d[i]))
                        {
                            return i;
                        }
                    }
                }
            }
            return -1;
        }

        @Override
        double valueAt(final int index)
        {
            return data[index];
        }
    }

    /** double[] elements. */
    static final class Doubles extends ElementArray
    {
        private double[] data;
        private double[] received = new double[0];
        private DoubleBuffer view;
        private ByteBuffer viewOf;

        Doubles wrap(final double[] data)
        {
            this.data = data;
            return this;
        }

        @Override
        int length()
        {
            return data.length;
        }

        @Override
        int elementBytes()
        {
            return Double.BYTES;
        }

        @Override
        String typeName()
        {
            return "double";
        }

        @Override
        void copyOut(final int from, final int count, final ByteBuffer target)
        {
            if (viewOf != target)
            {
                viewOf = target;
                view = target.duplicate().order(ORDER).asDoubleBuffer();
            }
            view.clear();
            view.put(data, from, count);
        }

        @Override
        void add(final DirectBuffer source, final int offset, final int from, final int count)
        {
            Objects.checkFromIndexSize(from, count, data.length);
            if (received.length < count)
            {
                received = new double[count];
            }
            final double[] r = received;
            copy(source, offset, r, 0, count);
            final double[] d = data;
            for (int i = 0; i < count; i++)
            {
                d[from + i] += r[i];
            }
        }

        @Override
        void copyIn(final DirectBuffer source, final int offset, final int from, final int count)
        {
            copy(source, offset, data, from, count);
        }

        private static void copy(final DirectBuffer source, final int offset, final double[] target, final int from, final int count)
        {
            source.boundsCheck(offset, count * Double.BYTES);
            Objects.checkFromIndexSize(from, count, target.length);
            if (NATIVE_LITTLE_ENDIAN)
            {
                UnsafeApi.copyMemory(source.byteArray(), source.addressOffset() + offset,
                    target, DOUBLE_ARRAY_BASE + (long)from * Double.BYTES, (long)count * Double.BYTES);
            }
            else
            {
                for (int i = 0; i < count; i++)
                {
                    target[from + i] = source.getDouble(offset + i * Double.BYTES, ORDER);
                }
            }
        }

        @Override
        void divide(final int from, final int count, final int divisor)
        {
            final double[] d = data;
            final double n = divisor;
            for (int i = from, end = from + count; i < end; i++)
            {
                d[i] /= n;
            }
        }

        @Override
        int firstNonFinite()
        {
            final double[] d = data;
            for (int start = 0; start < d.length; start = scanBlockEnd(start, d.length))
            {
                final int end = scanBlockEnd(start, d.length);
                long exponentOverflow = 0;
                for (int i = start; i < end; i++)
                {
                    exponentOverflow |= (Double.doubleToRawLongBits(d[i]) & 0x7FF0_0000_0000_0000L) + 0x0010_0000_0000_0000L;
                }
                if (exponentOverflow < 0)
                {
                    for (int i = start; i < end; i++)
                    {
                        if (!Double.isFinite(d[i]))
                        {
                            return i;
                        }
                    }
                }
            }
            return -1;
        }

        @Override
        double valueAt(final int index)
        {
            return data[index];
        }
    }
}
