package io.qring.allreduce;

import org.agrona.DirectBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * The array an all-reduce works on, behind one interface for float and double so the ring schedule is
 * written once. Elements travel little-endian.
 */
abstract class ElementArray
{
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

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

    /** float[] elements. */
    static final class Floats extends ElementArray
    {
        private float[] data;
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
            final float[] d = data;
            for (int i = 0; i < count; i++)
            {
                d[from + i] += source.getFloat(offset + i * Float.BYTES, ORDER);
            }
        }

        @Override
        void copyIn(final DirectBuffer source, final int offset, final int from, final int count)
        {
            final float[] d = data;
            for (int i = 0; i < count; i++)
            {
                d[from + i] = source.getFloat(offset + i * Float.BYTES, ORDER);
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
            for (int i = 0; i < d.length; i++)
            {
                if (!Float.isFinite(d[i]))
                {
                    return i;
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
            final double[] d = data;
            for (int i = 0; i < count; i++)
            {
                d[from + i] += source.getDouble(offset + i * Double.BYTES, ORDER);
            }
        }

        @Override
        void copyIn(final DirectBuffer source, final int offset, final int from, final int count)
        {
            final double[] d = data;
            for (int i = 0; i < count; i++)
            {
                d[from + i] = source.getDouble(offset + i * Double.BYTES, ORDER);
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
            for (int i = 0; i < d.length; i++)
            {
                if (!Double.isFinite(d[i]))
                {
                    return i;
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
