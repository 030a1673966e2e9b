package io.qring.channel.epr;

import io.qring.channel.frame.PauliFrame;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static io.qring.channel.noise.StatisticalAssert.assertIndependent;
import static io.qring.channel.noise.StatisticalAssert.assertUniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class EprSharesTest
{
    private static final long KEY = EprShares.shareStreamKey(42);

    @Test
    void shouldGiveTheSameShareWhetherReadByPairWordOrWindow()
    {
        for (long first = 0; first < 200; first++)
        {
            final long window = EprShares.senderShareWindow(KEY, first);
            for (int i = 0; i < PauliFrame.PAIRS_PER_WORD; i++)
            {
                assertEquals(EprShares.senderShare(KEY, first + i), (int)(window >>> (2 * i)) & 3, "pair " + (first + i));
            }
        }
        assertEquals(EprShares.senderShareWord(KEY, 3), EprShares.senderShareWindow(KEY, 96));
    }

    @Test
    void shouldGiveUniformIndependentShares()
    {
        final long[] counts = new long[4];
        final long[][] adjacent = new long[4][4];
        final int pairs = 1 << 20;
        for (long pair = 0; pair < pairs; pair += 2)
        {
            final int a = EprShares.senderShare(KEY, pair);
            final int b = EprShares.senderShare(KEY, pair + 1);
            counts[a]++;
            counts[b]++;
            adjacent[a][b]++;
        }
        assertUniform(counts, "share symbols");
        assertIndependent(adjacent, "adjacent share symbols");
    }

    @Test
    void shouldGiveDifferentStreamsAndIdentitiesForDifferentLinks()
    {
        assertNotEquals(EprShares.senderShareWord(EprShares.shareStreamKey(1), 0), EprShares.senderShareWord(EprShares.shareStreamKey(2), 0));
        final Set<Long> ids = new HashSet<>();
        for (int from = 0; from < 8; from++)
        {
            for (int to = 0; to < 8; to++)
            {
                ids.add(EprShares.linkId(from + "->" + to, 7));
                ids.add(EprShares.linkId(from + "->" + to, 8));
            }
        }
        assertEquals(128, ids.size());
        assertEquals(EprShares.linkId("0->1", 7), EprShares.linkId("0->1", 7));
        assertNotEquals(EprShares.derive(1, EprShares.NOISE_DOMAIN, 0), EprShares.derive(1, EprShares.VERIFICATION_DOMAIN, 0));
        assertNotEquals(EprShares.derive(1, EprShares.NOISE_DOMAIN, 0), EprShares.derive(1, EprShares.NOISE_DOMAIN, 1));
    }
}
