package io.qring.channel.epr;

import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LinkLedger;
import io.qring.channel.noise.DampingStages;
import io.qring.channel.noise.PauliChannel;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One endpoint's side of the EPR pairs of a directed link (DESIGN §3).
 *
 * <p>Usable pairs are numbered 0, 1, 2, ... since the pool's creation and handed out in contiguous,
 * never reused ranges by {@link #take(long)}. The pool holds no per-pair state: the sender's share of
 * any pair is computed by index from the link seed ({@link EprShares}), the error of a pair is sampled
 * by the receiver when it decodes, from {@link #heldChannel(long)} (distribution channel followed by
 * storage decoherence since the pair's batch was distributed).
 *
 * <p>{@link #refill()} distributes a batch that tops the pool up to {@link #capacity()} usable pairs.
 * With a verification fraction f, the batch holds ⌈u·f/(1−f)⌉ extra pairs that are chosen after
 * distribution for verification and never numbered as usable; since all shares and errors are
 * independent and identically distributed, which raw pairs are sacrificed does not change any
 * statistic, so the pool numbers the remaining ones contiguously. Both endpoints of a link stay
 * consistent as long as they distribute batches at the same points of the frame sequence (which
 * {@link ExhaustionPolicy#REFILL_ON_DEMAND} does by itself); the codec itself only depends on the
 * usable pair indices.
 *
 * <p>A take that finds too few pairs under {@link ExhaustionPolicy#REFILL_ON_DEMAND} uses up the pool
 * and distributes one batch of exactly {@link #capacity()} usable pairs for the rest. Whole batches
 * make where batches start a function of how many pairs were taken since the last {@link #refill()},
 * not of the order in which takes of different sizes came (a repair taken between two frames instead of
 * after them): with the same pairs consumed, a link sacrifices and verifies the same batches.
 *
 * <p>Ledger: every counter is recorded by exactly one endpoint, so the two endpoints may share one
 * {@link LinkLedger} or keep one each and merge them. The {@link Side#SENDER} pool records
 * {@link LedgerCounter#EPR_PRE_SHARED} and {@link LedgerCounter#OFFLINE_QUBITS} (every distributed
 * pair) and {@link LedgerCounter#EPR_SACRIFICED}; the receiver's pool records nothing.
 *
 * <p>Thread-safe: takes, refills and queries may come from different threads.
 */
public final class EprPool
{
    /** Which endpoint of the directed link a pool belongs to. */
    public enum Side
    {
        /** The endpoint that encodes payload onto its halves and sends them. */
        SENDER,
        /** The endpoint that receives the sent halves and decodes. */
        RECEIVER
    }

    /** Default exhaustion policy: fail at once. */
    public static final ExhaustionPolicy DEFAULT_EXHAUSTION_POLICY = ExhaustionPolicy.FAIL;
    /** Default time a {@link ExhaustionPolicy#BLOCK} take waits for a refill: 1 s. */
    public static final long DEFAULT_BLOCK_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(1);
    /** Largest allowed verification fraction: the share of each distributed batch sacrificed. */
    public static final double MAX_VERIFICATION_FRACTION = 0.9;

    private static final int INITIAL_BATCHES = 8;

    private final String linkName;
    private final Side side;
    private final long capacity;
    private final long linkSeed;
    private final long linkId;
    private final long shareStreamKey;
    private final PauliChannel distributionChannel;
    private final MemoryDecoherence memory;
    private final ExhaustionPolicy exhaustionPolicy;
    private final long blockTimeoutNs;
    private final NanoClock clock;
    private final LinkLedger ledger;
    private final double verificationFraction;
    private final DistributionListener listener;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition refilled = lock.newCondition();
    private long nextPair;
    private long endPair;
    private long rounds;
    private long batchHead;
    private int batchCount;
    private long[] batchFirstPair = new long[INITIAL_BATCHES];
    private long[] batchTimeNs = new long[INITIAL_BATCHES];

    private EprPool(final Builder builder)
    {
        this.linkName = builder.linkName;
        this.side = builder.side;
        this.capacity = builder.capacity;
        this.linkSeed = builder.linkSeed;
        this.linkId = EprShares.linkId(builder.linkName, builder.linkSeed);
        this.shareStreamKey = EprShares.shareStreamKey(builder.linkSeed);
        this.distributionChannel = builder.distributionChannel;
        this.memory = builder.memory;
        this.exhaustionPolicy = builder.exhaustionPolicy;
        this.blockTimeoutNs = builder.blockTimeoutNs;
        this.clock = builder.clock;
        this.ledger = builder.ledger != null ? builder.ledger : new LinkLedger(builder.linkName);
        this.verificationFraction = builder.verificationFraction;
        this.listener = builder.listener;
    }

    /** @return a builder with the documented defaults. */
    public static Builder builder()
    {
        return new Builder();
    }

    /** @return name of the directed link. */
    public String linkName()
    {
        return linkName;
    }

    /** @return which endpoint this pool belongs to. */
    public Side side()
    {
        return side;
    }

    /** @return maximum number of usable pairs the pool holds. */
    public long capacity()
    {
        return capacity;
    }

    /** @return the seed both endpoints of the link share. */
    public long linkSeed()
    {
        return linkSeed;
    }

    /** @return identity of the link (hash of name and seed), carried in every wire frame. */
    public long linkId()
    {
        return linkId;
    }

    /** @return key of the link's share stream, see {@link EprShares#senderShareWord(long, long)}. */
    public long shareStreamKey()
    {
        return shareStreamKey;
    }

    /** @return the channel every pair suffers during distribution (Bell diagonal relative to Φ+). */
    public PauliChannel distributionChannel()
    {
        return distributionChannel;
    }

    /** @return whether stored pairs decohere with time. */
    public boolean hasMemoryDecoherence()
    {
        return memory != null;
    }

    /** @return the exhaustion policy. */
    public ExhaustionPolicy exhaustionPolicy()
    {
        return exhaustionPolicy;
    }

    /** @return fraction of every distributed batch sacrificed for verification. */
    public double verificationFraction()
    {
        return verificationFraction;
    }

    /** @return the clock timing distribution and storage. */
    public NanoClock clock()
    {
        return clock;
    }

    /** @return the ledger of the link. */
    public LinkLedger ledger()
    {
        return ledger;
    }

    /** @return usable pairs distributed and not yet taken. */
    public long available()
    {
        lock.lock();
        try
        {
            return endPair - nextPair;
        }
        finally
        {
            lock.unlock();
        }
    }

    /** @return index of the next pair {@link #take(long)} hands out. */
    public long nextPair()
    {
        lock.lock();
        try
        {
            return nextPair;
        }
        finally
        {
            lock.unlock();
        }
    }

    /** @return distribution rounds so far. */
    public long rounds()
    {
        lock.lock();
        try
        {
            return rounds;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Distributes a batch that tops the pool up to capacity, timestamped now, plus the pairs sacrificed
     * for verification, and tells the distribution listener.
     *
     * @return usable pairs added (0 if the pool was full).
     */
    public long refill()
    {
        lock.lock();
        try
        {
            return distribute(capacity - (endPair - nextPair));
        }
        finally
        {
            lock.unlock();
        }
    }

    private long distribute(final long usable)
    {
        lock.lock();
        try
        {
            if (usable == 0)
            {
                return 0;
            }
            final long sacrificed = sacrificeCount(usable);
            final DistributedBatch batch = new DistributedBatch(rounds, endPair, usable, sacrificed, clock.nanoTime());
            appendBatch(batch.firstPair(), batch.distributionTimeNs());
            rounds++;
            endPair += usable;
            if (side == Side.SENDER)
            {
                ledger.add(LedgerCounter.EPR_PRE_SHARED, batch.distributedPairs());
                ledger.add(LedgerCounter.OFFLINE_QUBITS, batch.distributedPairs());
                ledger.add(LedgerCounter.EPR_SACRIFICED, sacrificed);
            }
            refilled.signalAll();
            if (listener != null)
            {
                listener.onDistributed(this, batch);
            }
            return usable;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Makes sure the next {@code take(pairs)} finds its pairs, applying the exhaustion policy now if
     * fewer are available, without taking any: a refill on demand distributes the same batch the take
     * would, and its listener (a verifier) sees it before any of its pairs carry data. An endpoint that
     * reserves a frame's pairs first can learn that their batch failed verification while the frame is
     * still unsent.
     *
     * @param pairs number of pairs, 0 ≤ pairs ≤ capacity.
     * @throws IllegalArgumentException  if pairs is negative or exceeds the capacity.
     * @throws EprPoolExhaustedException if the policy cannot supply the pairs.
     */
    public void reserve(final long pairs)
    {
        if (pairs < 0 || pairs > capacity)
        {
            throw new IllegalArgumentException("cannot take " + pairs + " pairs from the EPR pool of link '" + linkName +
                "' with capacity " + capacity + ": split the payload");
        }
        lock.lock();
        try
        {
            if (endPair - nextPair < pairs)
            {
                awaitPairs(pairs);
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Hands out the next {@code pairs} usable pairs, applying the exhaustion policy if fewer are
     * available.
     *
     * @param pairs number of pairs, 0 ≤ pairs ≤ capacity.
     * @return index of the first pair of the range {@code [first, first + pairs)}.
     * @throws IllegalArgumentException  if pairs is negative or exceeds the capacity.
     * @throws EprPoolExhaustedException if the policy cannot supply the pairs.
     */
    public long take(final long pairs)
    {
        lock.lock();
        try
        {
            reserve(pairs);
            retireConsumedBatches();
            final long first = nextPair;
            nextPair += pairs;
            return first;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Distribution time of a pair of the most recent take or not yet taken.
     *
     * @param pair usable pair index.
     * @return when its batch was distributed, on the pool's clock.
     */
    public long distributionTimeNs(final long pair)
    {
        lock.lock();
        try
        {
            return batchTimeNs[slot(batchIndexOf(pair))];
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * End of the batch holding a pair of the most recent take or not yet taken.
     *
     * @param pair usable pair index.
     * @return index one past the last usable pair of its batch.
     */
    public long batchEndPair(final long pair)
    {
        lock.lock();
        try
        {
            final int index = batchIndexOf(pair);
            return index + 1 < batchCount ? batchFirstPair[slot(index + 1)] : endPair;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Bell diagonal of a pair distributed at a given time, as held now: the distribution channel
     * followed by memory decoherence over the storage time so far (exact, see {@link MemoryDecoherence}).
     *
     * @param distributionTimeNs when the pair was distributed, on the pool's clock.
     * @return the channel the pair has suffered so far.
     */
    public PauliChannel heldChannel(final long distributionTimeNs)
    {
        if (memory == null)
        {
            return distributionChannel;
        }
        final long storedNs = Math.max(0, clock.nanoTime() - distributionTimeNs);
        return memory.apply(distributionChannel, storedNs / 1e9);
    }

    @Override
    public String toString()
    {
        return "EprPool{link='" + linkName + "', side=" + side + ", capacity=" + capacity + ", available=" + available() +
            ", nextPair=" + nextPair() + ", distribution=" + distributionChannel + ", memory=" + memory +
            ", policy=" + exhaustionPolicy + '}';
    }

    private long sacrificeCount(final long usable)
    {
        return verificationFraction == 0 ? 0 : (long)Math.ceil(usable * verificationFraction / (1 - verificationFraction));
    }

    private void awaitPairs(final long pairs)
    {
        switch (exhaustionPolicy)
        {
            case FAIL -> throw exhausted(pairs, "no refill under policy FAIL");
            case REFILL_ON_DEMAND -> distribute(capacity);
            case BLOCK -> awaitRefill(pairs);
            default -> throw new IllegalStateException("unknown exhaustion policy " + exhaustionPolicy);
        }
    }

    private void awaitRefill(final long pairs)
    {
        final long deadlineNs = System.nanoTime() + blockTimeoutNs;
        try
        {
            while (endPair - nextPair < pairs)
            {
                final long remainingNs = deadlineNs - System.nanoTime();
                if (remainingNs <= 0)
                {
                    throw exhausted(pairs, "no refill within " + TimeUnit.NANOSECONDS.toMillis(blockTimeoutNs) + " ms");
                }
                refilled.awaitNanos(remainingNs);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw exhausted(pairs, "interrupted while waiting for a refill");
        }
    }

    private EprPoolExhaustedException exhausted(final long pairs, final String detail)
    {
        return new EprPoolExhaustedException(linkName, pairs, endPair - nextPair, exhaustionPolicy, detail);
    }

    private void appendBatch(final long firstPair, final long timeNs)
    {
        if (batchCount == batchFirstPair.length)
        {
            final long[] firsts = new long[batchCount * 2];
            final long[] times = new long[batchCount * 2];
            for (int i = 0; i < batchCount; i++)
            {
                firsts[i] = batchFirstPair[slot(i)];
                times[i] = batchTimeNs[slot(i)];
            }
            batchFirstPair = firsts;
            batchTimeNs = times;
            batchHead = 0;
        }
        batchFirstPair[slot(batchCount)] = firstPair;
        batchTimeNs[slot(batchCount)] = timeNs;
        batchCount++;
    }

    private void retireConsumedBatches()
    {
        while (batchCount > 1 && batchFirstPair[slot(1)] <= nextPair)
        {
            batchHead++;
            batchCount--;
        }
    }

    private int batchIndexOf(final long pair)
    {
        if (batchCount == 0 || pair < batchFirstPair[slot(0)] || pair >= endPair)
        {
            throw new IllegalArgumentException("pair " + pair + " of link '" + linkName +
                "' is neither in the most recent take nor available (available from " + nextPair + " to " + endPair + ")");
        }
        int index = batchCount - 1;
        while (batchFirstPair[slot(index)] > pair)
        {
            index--;
        }
        return index;
    }

    private int slot(final int index)
    {
        return (int)((batchHead + index) % batchFirstPair.length);
    }

    /**
     * Settings of a pool, validated once by {@link #build()}.
     */
    public static final class Builder
    {
        private String linkName;
        private Side side;
        private long capacity;
        private long linkSeed;
        private PauliChannel distributionChannel = PauliChannel.NOISELESS;
        private MemoryDecoherence memory;
        private ExhaustionPolicy exhaustionPolicy = DEFAULT_EXHAUSTION_POLICY;
        private long blockTimeoutNs = DEFAULT_BLOCK_TIMEOUT_NS;
        private NanoClock clock = SystemNanoClock.INSTANCE;
        private LinkLedger ledger;
        private double verificationFraction;
        private DistributionListener listener;

        private Builder()
        {
        }

        /**
         * @param linkName name of the directed link, required, e.g. {@link LinkLedger#linkName(int, int)}.
         * @return this.
         */
        public Builder linkName(final String linkName)
        {
            this.linkName = linkName;
            return this;
        }

        /**
         * @param side which endpoint the pool belongs to, required.
         * @return this.
         */
        public Builder side(final Side side)
        {
            this.side = side;
            return this;
        }

        /**
         * @param capacity maximum usable pairs held, required, &gt; 0.
         * @return this.
         */
        public Builder capacity(final long capacity)
        {
            this.capacity = capacity;
            return this;
        }

        /**
         * @param linkSeed seed both endpoints of the link share (derived by the caller); default 0.
         * @return this.
         */
        public Builder linkSeed(final long linkSeed)
        {
            this.linkSeed = linkSeed;
            return this;
        }

        /**
         * @param channel channel every pair suffers during distribution, e.g.
         *                {@link PauliChannel#werner(double)}; default noiseless.
         * @return this.
         */
        public Builder distributionChannel(final PauliChannel channel)
        {
            this.distributionChannel = channel;
            return this;
        }

        /**
         * @param memory decoherence of both stored halves; default none.
         * @return this.
         */
        public Builder memory(final MemoryDecoherence memory)
        {
            this.memory = memory;
            return this;
        }

        /**
         * @param t1Seconds relaxation time T1 of the memory.
         * @param t2Seconds coherence time T2 of the memory, ≤ 2·T1.
         * @return this.
         */
        public Builder memory(final double t1Seconds, final double t2Seconds)
        {
            return memory(new MemoryDecoherence(t1Seconds, t2Seconds));
        }

        /**
         * @param policy what a take does when the pool runs short; default {@link #DEFAULT_EXHAUSTION_POLICY}.
         * @return this.
         */
        public Builder exhaustionPolicy(final ExhaustionPolicy policy)
        {
            this.exhaustionPolicy = policy;
            return this;
        }

        /**
         * @param timeout how long a {@link ExhaustionPolicy#BLOCK} take waits; default 1 s.
         * @param unit    unit of the timeout.
         * @return this.
         */
        public Builder blockTimeout(final long timeout, final TimeUnit unit)
        {
            this.blockTimeoutNs = unit.toNanos(timeout);
            return this;
        }

        /**
         * @param clock clock timing distribution and storage; default {@link SystemNanoClock}.
         * @return this.
         */
        public Builder clock(final NanoClock clock)
        {
            this.clock = clock;
            return this;
        }

        /**
         * @param ledger ledger of the link; default a new one named after the link.
         * @return this.
         */
        public Builder ledger(final LinkLedger ledger)
        {
            this.ledger = ledger;
            return this;
        }

        /**
         * @param fraction fraction of each distributed batch sacrificed for verification, in
         *                 [0, {@link #MAX_VERIFICATION_FRACTION}]; default 0.
         * @return this.
         */
        public Builder verificationFraction(final double fraction)
        {
            this.verificationFraction = fraction;
            return this;
        }

        /**
         * @param listener told about every distributed batch, e.g. a verifier; default none.
         * @return this.
         */
        public Builder distributionListener(final DistributionListener listener)
        {
            this.listener = listener;
            return this;
        }

        /**
         * Validates the settings and creates an empty pool (call {@link EprPool#refill()} or use
         * {@link ExhaustionPolicy#REFILL_ON_DEMAND}).
         *
         * @return the pool.
         * @throws IllegalArgumentException naming the first invalid setting.
         */
        public EprPool build()
        {
            if (linkName == null || linkName.isBlank())
            {
                throw new IllegalArgumentException("EPR pool needs a link name, got '" + linkName + "'");
            }
            Objects.requireNonNull(side, () -> "EPR pool of link '" + linkName + "' needs a side (SENDER or RECEIVER)");
            if (capacity <= 0)
            {
                throw new IllegalArgumentException("EPR pool of link '" + linkName + "' needs a capacity > 0 pairs, got " + capacity);
            }
            Objects.requireNonNull(distributionChannel, "distribution channel");
            Objects.requireNonNull(exhaustionPolicy, "exhaustion policy");
            Objects.requireNonNull(clock, "clock");
            if (blockTimeoutNs <= 0)
            {
                throw new IllegalArgumentException("EPR pool of link '" + linkName + "' needs a block timeout > 0, got " +
                    blockTimeoutNs + " ns");
            }
            if (!(verificationFraction >= 0 && verificationFraction <= MAX_VERIFICATION_FRACTION))
            {
                throw new IllegalArgumentException("verification fraction of link '" + linkName + "' must be in [0, " +
                    MAX_VERIFICATION_FRACTION + "], got " + verificationFraction);
            }
            new DampingStages().stage(DampingStages.DISTRIBUTION, distributionChannel.fromDamping())
                .stage(DampingStages.MEMORY, memory != null).requireAtMostOne("EPR pool of link '" + linkName + "': ");
            if (ledger != null && !ledger.link().equals(linkName))
            {
                throw new IllegalArgumentException("ledger of link '" + ledger.link() + "' given to the pool of link '" +
                    linkName + "'");
            }
            return new EprPool(this);
        }
    }
}
