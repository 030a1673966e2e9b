package io.qring.channel.verify;

import io.qring.channel.epr.DistributedBatch;
import io.qring.channel.epr.DistributionListener;
import io.qring.channel.epr.EprPool;
import io.qring.channel.epr.EprShares;
import io.qring.channel.frame.PauliFrame;
import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.noise.PauliChannel;
import io.qring.channel.noise.PauliErrorSampler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * Estimates the QBER of each freshly distributed batch from its sacrificed pairs (DESIGN §3).
 *
 * <p>After distribution the endpoints announce the round's public randomness (derived from the link
 * seed and the round number: which pairs are sacrificed and, for each, a uniformly random basis X or
 * Z); both measure their halves in that basis and announce the outcomes. For a pair with Bell error
 * e the outcomes differ in the Z basis iff e has an X component (X or Y) and in the X basis iff e has
 * a Z component (Z or Y), so each sacrificed pair mismatches independently with probability
 * Q = (P(b2 flip) + P(b1 flip))/2 of the distribution channel ({@link #expectedQber(PauliChannel)}). The rule
 * of {@link VerificationSettings} turns the count into an alarm.
 *
 * <p>The sacrificed pairs are measured as they are distributed, so their errors are sampled from the
 * pool's {@link EprPool#distributionChannel() distribution channel}, with a stream seeded from the link
 * seed and the round. Both endpoints read the same announced outcomes, so both reach the same result:
 * either endpoint's pool gives it, computed from the seed alone, the same on both sides. Ledger
 * (receiver side only): {@value #ROUND_ANNOUNCEMENT_BITS} bits of announced randomness plus
 * {@value #OUTCOME_BITS_PER_PAIR} outcome bits per sacrificed pair (one from each endpoint) as
 * {@link LedgerCounter#ONLINE_CLASSICAL_BITS}, and one {@link LedgerCounter#VERIFICATION_ALARMS} per
 * alarm. The sender's pool counts the sacrificed pairs.
 *
 * <p>As a {@link DistributionListener} of either pool it verifies every batch as it is distributed and
 * hands the result to its handler, which by default throws {@link VerificationAlarm} on an alarm.
 * Thread-safe.
 */
public final class QberVerifier implements DistributionListener
{
    /** Classical bits announcing a round's public randomness. */
    public static final int ROUND_ANNOUNCEMENT_BITS = 64;
    /** Classical bits announced per sacrificed pair: one outcome from each endpoint. */
    public static final int OUTCOME_BITS_PER_PAIR = 2;

    private static final Logger LOG = LoggerFactory.getLogger(QberVerifier.class);

    private final VerificationSettings settings;
    private final Consumer<VerificationResult> resultHandler;
    private volatile VerificationResult lastResult;

    /**
     * A verifier that throws {@link VerificationAlarm} from the refill that raised an alarm.
     *
     * @param settings the alarm rule.
     */
    public QberVerifier(final VerificationSettings settings)
    {
        this(settings, VerificationResult::throwIfAlarm);
    }

    /**
     * @param settings      the alarm rule.
     * @param resultHandler receives the result of every round verified as a distribution listener,
     *                      e.g. to fall back to a classical link on an alarm.
     */
    public QberVerifier(final VerificationSettings settings, final Consumer<VerificationResult> resultHandler)
    {
        this.settings = Objects.requireNonNull(settings, "verification settings");
        this.resultHandler = Objects.requireNonNull(resultHandler, "verification result handler");
    }

    /**
     * The QBER a held channel produces: the mean of the Z-basis mismatch rate pX + pY and the X-basis
     * mismatch rate pZ + pY.
     *
     * @param held Bell diagonal of the sacrificed pairs.
     * @return (P(b2 flip) + P(b1 flip)) / 2.
     */
    public static double expectedQber(final PauliChannel held)
    {
        return (held.b2FlipProbability() + held.b1FlipProbability()) / 2;
    }

    /** @return the alarm rule. */
    public VerificationSettings settings()
    {
        return settings;
    }

    /** @return the most recent result, or {@code null} before the first round. */
    public VerificationResult lastResult()
    {
        return lastResult;
    }

    /**
     * Measures the sacrificed pairs of a batch; the receiver's pool records the announcements.
     *
     * @param pool  either endpoint's pool that distributed the batch.
     * @param batch a batch with sacrificed pairs.
     * @return the round's estimate and alarm flag, the same from both endpoints' pools.
     */
    public VerificationResult verify(final EprPool pool, final DistributedBatch batch)
    {
        final long sampled = batch.sacrificedPairs();
        if (sampled <= 0)
        {
            throw new IllegalArgumentException("round " + batch.round() + " of link '" + pool.linkName() +
                "' sacrificed no pairs: set a verification fraction on the pool");
        }
        final PauliErrorSampler errors = new PauliErrorSampler(
            pool.distributionChannel(), EprShares.derive(pool.linkSeed(), EprShares.VERIFICATION_DOMAIN, batch.round()));
        final long basisKey = EprShares.derive(pool.linkSeed(), EprShares.BASIS_DOMAIN, batch.round());

        final long[] errorFrame = new long[PauliFrame.wordsFor(sampled)];
        errors.xorErrors(errorFrame, 0, sampled);

        long zPairs = 0;
        for (long j = 0; j < sampled; j += 64)
        {
            final long valid = Math.min(64, sampled - j);
            final long mask = valid == 64 ? -1L : (1L << valid) - 1;
            zPairs += valid - Long.bitCount(basisWord(basisKey, j) & mask);
        }
        long zMismatches = 0;
        long xMismatches = 0;
        for (int w = 0; w < errorFrame.length; w++)
        {
            for (long word = errorFrame[w]; word != 0; word &= ~(3L << (Long.numberOfTrailingZeros(word) & ~1)))
            {
                final int bit = Long.numberOfTrailingZeros(word) & ~1;
                final int label = (int)(word >>> bit) & 3;
                final long j = (long)w * PauliFrame.PAIRS_PER_WORD + (bit >>> 1);
                if ((basisWord(basisKey, j) >>> (j & 63) & 1) == 0)
                {
                    zMismatches += label & PauliChannel.X;
                }
                else
                {
                    xMismatches += (label & PauliChannel.Z) >>> 1;
                }
            }
        }
        final long mismatches = zMismatches + xMismatches;
        final boolean alarm = settings.isAlarm(mismatches, sampled);
        final VerificationResult result = new VerificationResult(pool.linkName(), batch.round(), sampled, zPairs, zMismatches,
            sampled - zPairs, xMismatches, (double)mismatches / sampled, settings.hoeffdingRadius(sampled), settings, alarm);

        lastResult = result;
        if (pool.side() != EprPool.Side.RECEIVER)
        {
            return result;
        }
        pool.ledger().add(LedgerCounter.ONLINE_CLASSICAL_BITS, ROUND_ANNOUNCEMENT_BITS + OUTCOME_BITS_PER_PAIR * sampled);
        if (alarm)
        {
            pool.ledger().add(LedgerCounter.VERIFICATION_ALARMS, 1);
            LOG.warn("verification alarm on link '{}' round {}: QBER {} ({}/{}), lower bound {} > threshold {}",
                pool.linkName(), batch.round(), result.qber(), mismatches, sampled, result.lowerBound(), settings.qberThreshold());
        }
        return result;
    }

    /**
     * The random bases of 64 consecutive sacrificed pairs (bit {@code j & 63}: 0 = Z, 1 = X).
     *
     * @param basisKey key of the round's basis choices.
     * @param pair     index of any pair of the group among the round's sacrificed pairs.
     * @return the group's basis bits.
     */
    private static long basisWord(final long basisKey, final long pair)
    {
        return EprShares.mix64(basisKey + (pair & ~63L));
    }

    /**
     * Verifies a batch that sacrificed pairs and hands the result to the handler; ignores batches
     * without sacrificed pairs.
     *
     * @param pool  the pool that distributed the batch, either endpoint's.
     * @param batch the batch just distributed.
     */
    @Override
    public void onDistributed(final EprPool pool, final DistributedBatch batch)
    {
        if (batch.sacrificedPairs() > 0)
        {
            resultHandler.accept(verify(pool, batch));
        }
    }
}
