package io.qring.allreduce;

import io.qring.allreduce.config.NonFinitePolicy;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CollectiveDescriptorsTest
{
    private static final int WORLD_SIZE = 3;
    private static final byte SUM = (byte)ReduceOp.SUM.ordinal();

    /** Descriptors as every rank of the ring would hold them once gathered: each rank's written in its own table, copied into one. */
    private static CollectiveDescriptors gathered(final CollectiveDescriptors... perRank)
    {
        final CollectiveDescriptors all = new CollectiveDescriptors(perRank.length);
        for (int r = 0; r < perRank.length; r++)
        {
            all.copyIn(r, perRank[r].buffer(), CollectiveDescriptors.offset(r));
        }
        return all;
    }

    private static CollectiveDescriptors own(
        final int rank, final byte kind, final byte op, final NonFinitePolicy policy, final long length, final int chunk, final long nonFinite)
    {
        final CollectiveDescriptors descriptors = new CollectiveDescriptors(WORLD_SIZE);
        descriptors.writeOwn(rank, 5, kind, op, policy, length, chunk, nonFinite, nonFinite >= 0 ? Double.NaN : 0.0);
        return descriptors;
    }

    private static CollectiveDescriptors floatSum(final int rank, final long length, final int chunk)
    {
        return own(rank, CollectiveDescriptors.KIND_FLOAT, SUM, NonFinitePolicy.REJECT, length, chunk, -1);
    }

    @Test
    void shouldAgreeOnTheSmallestChunkOfMatchingDescriptors()
    {
        final CollectiveDescriptors all = gathered(floatSum(0, 100, 4096), floatSum(1, 100, 1024), floatSum(2, 100, 8192));

        assertEquals(1024, all.check(CollectiveDescriptors.KIND_FLOAT, 5, "allReduce #5"));
        assertEquals(100, all.length(2));
    }

    @Test
    void shouldNameBothCallsWhenLengthsDiffer()
    {
        final CollectiveDescriptors all = gathered(floatSum(0, 100, 64), floatSum(1, 100, 64), floatSum(2, 99, 64));

        final CollectiveMismatchException ex = assertThrows(CollectiveMismatchException.class,
            () -> all.check(CollectiveDescriptors.KIND_FLOAT, 5, "allReduce #5"));

        assertEquals("ranks disagree on collective #5: rank 0 called allReduce(float[100], SUM) as its collective #5, " +
            "rank 2 called allReduce(float[99], SUM) as its collective #5; no data was exchanged", ex.getMessage());
    }

    @Test
    void shouldLetGathersDifferInLengthButNotFromAnAllReduce()
    {
        final CollectiveDescriptors gathers = gathered(
            own(0, CollectiveDescriptors.KIND_GATHER, CollectiveDescriptors.GATHER_BYTES, NonFinitePolicy.REJECT, 3, 64, -1),
            own(1, CollectiveDescriptors.KIND_GATHER, CollectiveDescriptors.GATHER_BYTES, NonFinitePolicy.PROPAGATE, 0, 64, -1),
            own(2, CollectiveDescriptors.KIND_GATHER, CollectiveDescriptors.GATHER_BYTES, NonFinitePolicy.REJECT, 70, 64, -1));
        assertEquals(64, gathers.check(CollectiveDescriptors.KIND_GATHER, 5, "allGather #5"), "policies do not matter to a gather");

        final CollectiveDescriptors mixed = gathered(
            own(0, CollectiveDescriptors.KIND_GATHER, CollectiveDescriptors.GATHER_LEDGERS, NonFinitePolicy.REJECT, 3, 64, -1),
            floatSum(1, 3, 64),
            own(2, CollectiveDescriptors.KIND_GATHER, CollectiveDescriptors.GATHER_BYTES, NonFinitePolicy.REJECT, 3, 64, -1));
        final CollectiveMismatchException ex = assertThrows(CollectiveMismatchException.class,
            () -> mixed.check(CollectiveDescriptors.KIND_GATHER, 5, "gatherRingLedgers() #5"));
        assertEquals("ranks disagree on collective #5: rank 0 called gatherRingLedgers() as its collective #5, " +
            "rank 1 called allReduce(float[3], SUM) as its collective #5; no data was exchanged", ex.getMessage());
    }

    @Test
    void shouldRefuseMixedNonFinitePoliciesOfAnAllReduce()
    {
        final CollectiveDescriptors all = gathered(floatSum(0, 8, 64),
            own(1, CollectiveDescriptors.KIND_FLOAT, SUM, NonFinitePolicy.PROPAGATE, 8, 64, -1), floatSum(2, 8, 64));

        final CollectiveMismatchException ex = assertThrows(CollectiveMismatchException.class,
            () -> all.check(CollectiveDescriptors.KIND_FLOAT, 5, "allReduce #5"));

        assertEquals("ranks disagree on the non-finite policy of allReduce #5: rank 0 uses REJECT, rank 1 uses PROPAGATE; " +
            "no data was exchanged", ex.getMessage());
    }

    @Test
    void shouldNameTheFirstRankWithANonFiniteInput()
    {
        final CollectiveDescriptors all = gathered(floatSum(0, 8, 64),
            own(1, CollectiveDescriptors.KIND_FLOAT, SUM, NonFinitePolicy.REJECT, 8, 64, 6),
            own(2, CollectiveDescriptors.KIND_FLOAT, SUM, NonFinitePolicy.REJECT, 8, 64, 2));

        final NonFiniteValueException ex = assertThrows(NonFiniteValueException.class,
            () -> all.check(CollectiveDescriptors.KIND_FLOAT, 5, "allReduce #5"));

        assertEquals(1, ex.offendingRank());
        assertEquals(6, ex.index());
        assertEquals("allReduce #5: input of rank 1 holds NaN at index 6 (non-finite policy REJECT); no data was exchanged",
            ex.getMessage());
    }

    @Test
    void shouldRefuseASlotHoldingAnotherRanksDescriptor()
    {
        final CollectiveDescriptors all = new CollectiveDescriptors(WORLD_SIZE);
        all.copyIn(0, floatSum(0, 8, 64).buffer(), CollectiveDescriptors.offset(0));
        all.copyIn(1, floatSum(2, 8, 64).buffer(), CollectiveDescriptors.offset(2));
        all.copyIn(2, floatSum(2, 8, 64).buffer(), CollectiveDescriptors.offset(2));

        final IllegalStateException ex = assertThrows(IllegalStateException.class,
            () -> all.check(CollectiveDescriptors.KIND_FLOAT, 5, "allReduce #5"));

        assertEquals("descriptor in slot 1 claims rank 2", ex.getMessage());
    }

    @Test
    void shouldDescribeUnknownKindsAndOperations()
    {
        final CollectiveDescriptors descriptors = own(0, (byte)9, (byte)1, NonFinitePolicy.REJECT, 4, 64, -1);
        assertEquals("an unknown collective (kind 9) as its collective #5", descriptors.describe(0));

        final CollectiveDescriptors badOp = own(0, CollectiveDescriptors.KIND_DOUBLE, (byte)42, NonFinitePolicy.REJECT, 4, 64, -1);
        assertEquals("allReduce(double[4], op 42) as its collective #5", badOp.describe(0));
    }

    @Test
    void shouldClearEveryOtherSlotWhenWritingItsOwn()
    {
        final CollectiveDescriptors descriptors = gathered(floatSum(0, 8, 64), floatSum(1, 8, 64), floatSum(2, 8, 64));

        descriptors.writeOwn(1, 6, CollectiveDescriptors.KIND_FLOAT, SUM, NonFinitePolicy.REJECT, 8, 64, -1, 0.0);

        assertEquals(0, descriptors.length(0));
        assertEquals(8, descriptors.length(1));
        assertEquals(0, descriptors.length(2));
    }
}
