package io.qring.samples.cli;

import io.qring.samples.launcher.LinkKind;
import io.qring.samples.launcher.RankResult;
import io.qring.samples.launcher.RunOutcome;
import io.qring.samples.report.RunRecorder;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The final-state line says runs are identical only when every rank of every run agrees. */
class ConsoleSummaryTest
{
    @Test
    void shouldCallRunsIdenticalOnlyWhenEveryRankOfEveryRunAgrees()
    {
        assertEquals("Final state (CRC-32 of parameters or result): quantum 00000001 on every rank; classical 00000001 on " +
            "every rank; runs identical", ConsoleSummary.stateLine(List.of(run(LinkKind.QUANTUM, 1, 1), run(LinkKind.CLASSICAL, 1, 1))));
        assertEquals("Final state (CRC-32 of parameters or result): quantum 00000001 on every rank; classical 00000002 on " +
            "every rank; runs differ", ConsoleSummary.stateLine(List.of(run(LinkKind.QUANTUM, 1, 1), run(LinkKind.CLASSICAL, 2, 2))));
        assertEquals("Final state (CRC-32 of parameters or result): quantum 00000001 on rank 0, ranks differ; classical 00000001 " +
            "on every rank; runs not compared (ranks differ)",
            ConsoleSummary.stateLine(List.of(run(LinkKind.QUANTUM, 1, 2, 1, 1), run(LinkKind.CLASSICAL, 1, 1, 1, 1))));
        assertEquals("Final state (CRC-32 of parameters or result): classical 0000000a on every rank",
            ConsoleSummary.stateLine(List.of(run(LinkKind.CLASSICAL, 10, 10))));
    }

    private static RunOutcome run(final LinkKind kind, final long... rankCrcs)
    {
        final List<RankResult> ranks = new ArrayList<>();
        for (int rank = 0; rank < rankCrcs.length; rank++)
        {
            ranks.add(new RankResult(rank, List.of(), List.of(), List.of(), List.of(), List.of(), rankCrcs[rank], 1.0));
        }
        return new RunOutcome(kind, new RunRecorder(kind.label()).finish(1.0), ranks);
    }
}
