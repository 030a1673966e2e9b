package io.qring.dl4j;

import io.qring.dl4j.support.Ranks;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkerRendezvousTest
{
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    @Test
    void shouldCombineOncePerRoundAndShareTheResultWithEveryParty()
    {
        final int parties = 3;
        final int rounds = 50;
        final AtomicInteger combines = new AtomicInteger();
        final WorkerRendezvous<Integer, Integer> rendezvous = new WorkerRendezvous<>(TimeUnit.SECONDS.toNanos(10), "test");

        final List<int[]> seen = Ranks.run(parties, DEADLINE, party ->
        {
            final int[] sums = new int[rounds];
            for (int round = 0; round < rounds; round++)
            {
                final int r = round;
                rendezvous.round(parties, round * 10 + party, all ->
                {
                    combines.incrementAndGet();
                    return all.stream().mapToInt(Integer::intValue).sum();
                }, (mine, sum) -> sums[r] = sum);
            }
            return sums;
        });

        assertEquals(rounds, combines.get());
        for (final int[] sums : seen)
        {
            for (int round = 0; round < rounds; round++)
            {
                assertEquals(parties * round * 10 + 3, sums[round], "round " + round);
            }
        }
    }

    @Test
    void shouldGiveEveryPartyTheCombiningFailure()
    {
        final IllegalStateException cause = new IllegalStateException("ring failed");
        final WorkerRendezvous<Integer, Integer> rendezvous = new WorkerRendezvous<>(TimeUnit.SECONDS.toNanos(10), "test");

        final List<Ranks.Outcome<Integer>> outcomes = Ranks.runCollecting(2, DEADLINE, party ->
        {
            rendezvous.round(2, party, all -> { throw cause; }, (mine, result) -> { });
            return party;
        });

        assertSame(cause, outcomes.get(0).failure());
        assertSame(cause, outcomes.get(1).failure());
    }

    /**
     * An {@link Error} thrown while combining (an OutOfMemoryError allocating a buffer, an AssertionError in a
     * listener) must reach every party at once, not leave the others to time out waiting for workers that
     * already arrived, and must not break later rounds.
     */
    @Test
    void shouldGiveEveryPartyAnErrorThrownWhileCombiningAndStayUsable()
    {
        final OutOfMemoryError cause = new OutOfMemoryError("Java heap space");
        final WorkerRendezvous<Integer, Integer> rendezvous = new WorkerRendezvous<>(TimeUnit.SECONDS.toNanos(20), "test");
        final long start = System.nanoTime();

        final List<Ranks.Outcome<Integer>> outcomes = Ranks.runCollecting(2, DEADLINE, party ->
        {
            rendezvous.round(2, party, all -> { throw cause; }, (mine, result) -> { });
            return party;
        });

        final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertSame(cause, outcomes.get(0).failure());
        assertSame(cause, outcomes.get(1).failure());
        assertTrue(elapsedMs < 10_000, "the waiting party was released at once, not after the timeout: " + elapsedMs + " ms");
        final List<Integer> next = Ranks.run(2, DEADLINE, party ->
        {
            final int[] sum = new int[1];
            rendezvous.round(2, party + 1, all -> all.stream().mapToInt(Integer::intValue).sum(), (mine, result) -> sum[0] = result);
            return sum[0];
        });
        assertEquals(List.of(3, 3), next, "the next round completes");
    }

    @Test
    void shouldTimeOutWhenALocalWorkerNeverArrives()
    {
        final WorkerRendezvous<Integer, Integer> rendezvous = new WorkerRendezvous<>(TimeUnit.MILLISECONDS.toNanos(200), "gradient exchange on rank 0");
        final long start = System.nanoTime();

        final IllegalStateException failure = assertThrows(IllegalStateException.class,
            () -> rendezvous.round(2, 1, all -> 0, (mine, result) -> { }));

        final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals("gradient exchange on rank 0: timed out after 200 ms waiting for 1 more of 2 workers", failure.getMessage());
        assertTrue(elapsedMs >= 200 && elapsedMs < 10_000, "waited " + elapsedMs + " ms");
        assertSame(failure, assertThrows(IllegalStateException.class, () -> rendezvous.round(1, 2, all -> 0, (mine, result) -> { })),
            "a broken rendezvous stays broken");
    }
}
