package io.qring.samples.launcher;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

import java.util.List;
import java.util.Optional;

/**
 * The line protocol between a {@link ProcessLauncher} and its {@link ChildRank}s: one JSON object per
 * line, prefixed by {@value #PREFIX} so that anything else a child prints (native library banners) is
 * told apart. Children write to their standard output; the launcher writes to their standard input.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = LauncherMessage.Endpoint.class, name = "endpoint"),
    @JsonSubTypes.Type(value = LauncherMessage.Peers.class, name = "peers"),
    @JsonSubTypes.Type(value = LauncherMessage.Progress.class, name = "progress"),
    @JsonSubTypes.Type(value = LauncherMessage.Evaluated.class, name = "evaluated"),
    @JsonSubTypes.Type(value = LauncherMessage.Result.class, name = "result"),
    @JsonSubTypes.Type(value = LauncherMessage.Failure.class, name = "failure")
})
public sealed interface LauncherMessage
{
    /** Start of every protocol line. */
    String PREFIX = "@qring ";

    /** @return this message as one protocol line (without the line break). */
    default String toLine()
    {
        return PREFIX + LauncherJson.write(this);
    }

    /**
     * @param line a line a child or the launcher printed.
     * @return the message it carries, or empty when it is not a protocol line.
     */
    static Optional<LauncherMessage> parse(final String line)
    {
        if (null == line || !line.startsWith(PREFIX))
        {
            return Optional.empty();
        }
        return Optional.of(LauncherJson.read(line.substring(PREFIX.length()), LauncherMessage.class));
    }

    /**
     * Child to launcher: the child bound its UDP endpoint for a run.
     *
     * @param run      index of the run (link kind) in the launch.
     * @param rank     the child's rank.
     * @param endpoint the bound {@code host:port}.
     */
    record Endpoint(int run, int rank, String endpoint) implements LauncherMessage
    {
    }

    /**
     * Launcher to child: every rank's endpoint for a run, in rank order.
     *
     * @param run   index of the run.
     * @param peers the endpoints.
     */
    record Peers(int run, List<String> peers) implements LauncherMessage
    {
    }

    /**
     * Child to launcher: an iteration finished.
     *
     * @param run       index of the run.
     * @param rank      the child's rank.
     * @param iteration the iteration.
     * @param loss      its loss (NaN when not training).
     */
    record Progress(int run, int rank, long iteration, double loss) implements LauncherMessage
    {
    }

    /**
     * Child to launcher: rank 0 evaluated the model after an epoch.
     *
     * @param run          index of the run.
     * @param epoch        the epoch (1-based).
     * @param iteration    the epoch's last iteration.
     * @param testAccuracy fraction correct.
     */
    record Evaluated(int run, int epoch, long iteration, double testAccuracy) implements LauncherMessage
    {
    }

    /**
     * Child to launcher: the child's result for a run.
     *
     * @param run    index of the run.
     * @param result what the rank recorded.
     */
    record Result(int run, RankResult result) implements LauncherMessage
    {
    }

    /**
     * Child to launcher: the child failed; it exits non-zero next.
     *
     * @param rank        the child's rank.
     * @param message     one line saying what went wrong.
     * @param consequence whether it only reports that another rank failed first.
     */
    record Failure(int rank, String message, boolean consequence) implements LauncherMessage
    {
    }
}
