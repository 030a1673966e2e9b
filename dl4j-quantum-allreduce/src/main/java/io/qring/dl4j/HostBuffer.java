package io.qring.dl4j;

import io.qring.allreduce.AllReduce;
import io.qring.allreduce.ReduceOp;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/**
 * A primitive array of the training dtype ({@code float[]} or {@code double[]}) that ND4J vectors are
 * copied into and out of with one native memory copy, and that the {@link AllReduce} combines in place.
 * Reused across iterations; not thread-safe.
 */
abstract class HostBuffer implements Comparable<HostBuffer>
{
    /** Most elements of a buffer or of any array the adapters allocate: the largest length every JVM allows, 2^31 - 9. */
    static final int MAX_LENGTH = Integer.MAX_VALUE - 8;

    /**
     * Fails fast unless ND4J runs on its CPU backend (nd4j-native): buffers are copied through the host
     * address of ND4J's data buffers, bypassing the host/device synchronisation of other backends, which
     * would hand the ring stale memory without any error.
     *
     * @throws IllegalStateException naming the backend when it is not the CPU one.
     */
    static void requireCpuBackend()
    {
        requireCpuBackend(Nd4j.getEnvironment().isCPU(), Nd4j.getBackend().getClass().getName());
    }

    /**
     * @param cpu     whether ND4J's environment reports its CPU backend.
     * @param backend class name of ND4J's backend, for the message.
     * @throws IllegalStateException naming the backend when {@code cpu} is {@code false}.
     */
    static void requireCpuBackend(final boolean cpu, final String backend)
    {
        if (!cpu)
        {
            throw new IllegalStateException("the quantum ring's DL4J adapters support only ND4J's CPU backend (nd4j-native), " +
                "but ND4J runs on " + backend + ": they copy parameters and updates through host memory without ND4J's " +
                "host/device synchronisation and would exchange stale values; train on nd4j-native");
        }
    }

    /**
     * Checks that the ring can exchange a model's parameters: they must be FLOAT or DOUBLE.
     *
     * @param type dtype of the model's parameters.
     * @return {@code type}.
     * @throws IllegalArgumentException naming the dtype for any other.
     */
    static DataType requireSupported(final DataType type)
    {
        if (type != DataType.FLOAT && type != DataType.DOUBLE)
        {
            throw new IllegalArgumentException("the quantum ring exchanges FLOAT or DOUBLE parameters; the model uses " + type +
                " (build it with NeuralNetConfiguration.Builder.dataType(DataType.FLOAT) or DOUBLE)");
        }
        return type;
    }

    /**
     * @param type   dtype of the model's parameters; FLOAT or DOUBLE.
     * @param length number of elements.
     * @return a zeroed buffer.
     * @throws IllegalArgumentException for any other dtype.
     */
    static HostBuffer allocate(final DataType type, final int length)
    {
        return requireSupported(type) == DataType.FLOAT ? new FloatBuffer(length) : new DoubleBuffer(length);
    }

    /**
     * Checks that an update or parameter vector fits in a Java array.
     *
     * @param length number of elements of the vector.
     * @return the length as an int.
     */
    static int checkedLength(final long length)
    {
        if (length > MAX_LENGTH)
        {
            throw new IllegalArgumentException("vectors of more than 2^31 - 9 elements are not supported: " + length);
        }
        return (int)length;
    }

    /**
     * Checks that two vectors laid end to end in one buffer fit in a Java array, each already checked
     * with {@link #checkedLength(long)}; their sum is formed in {@code long}, so it cannot wrap around.
     *
     * @param first  number of elements of the first vector.
     * @param second number of elements of the second vector.
     * @param what   what the two vectors hold, for the message (e.g. {@code "parameters + updater state values"}).
     * @return the combined length as an int.
     * @throws IllegalArgumentException naming both sizes when the sum does not fit.
     */
    static int checkedLength(final long first, final long second, final String what)
    {
        final long length = first + second;
        if (length > MAX_LENGTH)
        {
            throw new IllegalArgumentException("vectors of more than 2^31 - 9 elements are not supported: " + what +
                " = " + first + " + " + second + " = " + length + " elements in one vector");
        }
        return (int)length;
    }

    /**
     * A contiguous, offset-free vector outside every workspace, the staging area for {@link #read} and
     * {@link #write}.
     *
     * @param type   dtype.
     * @param length number of elements.
     * @return a zeroed detached vector.
     */
    @SuppressWarnings("try")
    static INDArray detachedVector(final DataType type, final long length)
    {
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces())
        {
            return Nd4j.create(type, length);
        }
    }

    /** @return the dtype this buffer holds. */
    abstract DataType dataType();

    /** @return number of elements. */
    abstract int length();

    /**
     * Copies a whole staging vector into this buffer.
     *
     * @param staging a vector made by {@link #detachedVector} with this buffer's dtype.
     * @param offset  first element of this buffer to write.
     */
    abstract void read(INDArray staging, int offset);

    /**
     * Copies elements of this buffer into a staging vector.
     *
     * @param staging a vector made by {@link #detachedVector} with this buffer's dtype.
     * @param offset  first element of this buffer to copy.
     */
    abstract void write(INDArray staging, int offset);

    /**
     * @param from first element checked.
     * @param to   one past the last element checked.
     * @return whether none of the elements is NaN or infinite.
     */
    abstract boolean allFinite(int from, int to);

    /**
     * Sets the first {@code count} elements to those of another buffer of the same dtype.
     *
     * @param source the buffer copied.
     * @param count  number of elements.
     */
    abstract void copyFrom(HostBuffer source, int count);

    /**
     * Adds the first {@code count} elements of another buffer of the same dtype, element by element.
     *
     * @param addend the buffer added.
     * @param count  number of elements.
     */
    abstract void add(HostBuffer addend, int count);

    /**
     * Sets a range of elements to one value.
     *
     * @param from  first element.
     * @param to    one past the last element.
     * @param value the value, rounded to the buffer's dtype.
     */
    abstract void fill(int from, int to, double value);

    /**
     * Divides a range of elements by a number.
     *
     * @param from    first element.
     * @param to      one past the last element.
     * @param divisor the divisor.
     */
    abstract void divide(int from, int to, double divisor);

    /**
     * @param index element index.
     * @return the element as a double.
     */
    abstract double get(int index);

    /**
     * @param index element index.
     * @param value new value, rounded to the buffer's dtype.
     */
    abstract void set(int index, double value);

    /**
     * Combines this buffer across the ring in place.
     *
     * @param allReduce the collective.
     * @param op        how contributions are combined.
     */
    abstract void allReduce(AllReduce allReduce, ReduceOp op);

    /**
     * A total order on contents (IEEE total order per element, then length), so that the contributions
     * of a JVM's workers can be summed in an order that does not depend on thread scheduling.
     */
    @Override
    public abstract int compareTo(HostBuffer other);

    static void checkStaging(final INDArray staging, final DataType type, final int from, final int bufferLength)
    {
        if (staging.dataType() != type || staging.length() > bufferLength - from || staging.offset() != 0)
        {
            throw new IllegalArgumentException("staging vector " + staging.dataType() + "[" + staging.length() +
                "] does not fit " + type + " buffer of " + bufferLength + " at offset " + from);
        }
    }

    /** {@code float} elements. */
    private static final class FloatBuffer extends HostBuffer
    {
        private final float[] values;

        FloatBuffer(final int length)
        {
            this.values = new float[length];
        }

        @Override
        DataType dataType()
        {
            return DataType.FLOAT;
        }

        @Override
        int length()
        {
            return values.length;
        }

        @Override
        void read(final INDArray staging, final int offset)
        {
            checkStaging(staging, DataType.FLOAT, offset, values.length);
            ((FloatPointer)staging.data().addressPointer()).get(values, offset, (int)staging.length());
        }

        @Override
        void write(final INDArray staging, final int offset)
        {
            checkStaging(staging, DataType.FLOAT, offset, values.length);
            ((FloatPointer)staging.data().addressPointer()).put(values, offset, (int)staging.length());
        }

        @Override
        boolean allFinite(final int from, final int to)
        {
            for (int i = from; i < to; i++)
            {
                if (!Float.isFinite(values[i]))
                {
                    return false;
                }
            }
            return true;
        }

        @Override
        void copyFrom(final HostBuffer source, final int count)
        {
            System.arraycopy(((FloatBuffer)source).values, 0, values, 0, count);
        }

        @Override
        void add(final HostBuffer addend, final int count)
        {
            final float[] other = ((FloatBuffer)addend).values;
            for (int i = 0; i < count; i++)
            {
                values[i] += other[i];
            }
        }

        @Override
        void fill(final int from, final int to, final double value)
        {
            Arrays.fill(values, from, to, (float)value);
        }

        @Override
        void divide(final int from, final int to, final double divisor)
        {
            final float d = (float)divisor;
            for (int i = from; i < to; i++)
            {
                values[i] /= d;
            }
        }

        @Override
        double get(final int index)
        {
            return values[index];
        }

        @Override
        void set(final int index, final double value)
        {
            values[index] = (float)value;
        }

        @Override
        void allReduce(final AllReduce allReduce, final ReduceOp op)
        {
            allReduce.allReduce(values, op);
        }

        @Override
        public int compareTo(final HostBuffer other)
        {
            return Arrays.compare(values, ((FloatBuffer)other).values);
        }
    }

    /** {@code double} elements. */
    private static final class DoubleBuffer extends HostBuffer
    {
        private final double[] values;

        DoubleBuffer(final int length)
        {
            this.values = new double[length];
        }

        @Override
        DataType dataType()
        {
            return DataType.DOUBLE;
        }

        @Override
        int length()
        {
            return values.length;
        }

        @Override
        void read(final INDArray staging, final int offset)
        {
            checkStaging(staging, DataType.DOUBLE, offset, values.length);
            ((DoublePointer)staging.data().addressPointer()).get(values, offset, (int)staging.length());
        }

        @Override
        void write(final INDArray staging, final int offset)
        {
            checkStaging(staging, DataType.DOUBLE, offset, values.length);
            ((DoublePointer)staging.data().addressPointer()).put(values, offset, (int)staging.length());
        }

        @Override
        boolean allFinite(final int from, final int to)
        {
            for (int i = from; i < to; i++)
            {
                if (!Double.isFinite(values[i]))
                {
                    return false;
                }
            }
            return true;
        }

        @Override
        void copyFrom(final HostBuffer source, final int count)
        {
            System.arraycopy(((DoubleBuffer)source).values, 0, values, 0, count);
        }

        @Override
        void add(final HostBuffer addend, final int count)
        {
            final double[] other = ((DoubleBuffer)addend).values;
            for (int i = 0; i < count; i++)
            {
                values[i] += other[i];
            }
        }

        @Override
        void fill(final int from, final int to, final double value)
        {
            Arrays.fill(values, from, to, value);
        }

        @Override
        void divide(final int from, final int to, final double divisor)
        {
            for (int i = from; i < to; i++)
            {
                values[i] /= divisor;
            }
        }

        @Override
        double get(final int index)
        {
            return values[index];
        }

        @Override
        void set(final int index, final double value)
        {
            values[index] = value;
        }

        @Override
        void allReduce(final AllReduce allReduce, final ReduceOp op)
        {
            allReduce.allReduce(values, op);
        }

        @Override
        public int compareTo(final HostBuffer other)
        {
            return Arrays.compare(values, ((DoubleBuffer)other).values);
        }
    }
}
