package io.qring.samples.launcher;

import io.qring.allreduce.config.RingContext;
import io.qring.samples.report.RunRecord;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Runs every rank as a child JVM on this host ({@link ChildRank}), the ranks talking Aeron UDP over
 * loopback, each child with {@code OMP_NUM_THREADS=1}, a fresh random shared secret in
 * {@value RingContext#SECRET_ENV}, and its own embedded media driver. Children bind any free port and tell
 * the launcher, which hands every child the full endpoint list (no port guessing); progress and results
 * come back as {@link LauncherMessage} lines on the children's standard output, their logs go to the
 * launcher's standard error.
 */
public final class ProcessLauncher
{
    /** Time allowed for child JVMs to start (JVM, ND4J and data loading) on top of the connect timeout. */
    public static final Duration START_ALLOWANCE = Duration.ofSeconds(120);
    /** Time allowed for children to exit after their last result. */
    public static final Duration EXIT_ALLOWANCE = Duration.ofSeconds(30);
    /** Time to wait, after a first failure, for the failures of the other children (to name the first cause). */
    private static final Duration FAILURE_GRACE = Duration.ofSeconds(3);
    /** How long children asked to stop may take before they are killed. */
    private static final Duration DESTROY_GRACE = Duration.ofSeconds(5);
    private static final int SECRET_BYTES = 32;

    private final RingPlan plan;
    private final ProgressFactory progress;
    private final PrintStream log;
    private final boolean echoChildOutput;
    private final List<Process> children = new ArrayList<>();
    private final List<Writer> childInputs = new ArrayList<>();
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final Deque<Event> deferred = new ArrayDeque<>();

    private ProcessLauncher(final RingPlan plan, final ProgressFactory progress, final PrintStream log, final boolean echoChildOutput)
    {
        this.plan = plan;
        this.progress = progress;
        this.log = log;
        this.echoChildOutput = echoChildOutput;
    }

    /**
     * @param plan            the rings to run.
     * @param command         the command line of the child of each rank (a JVM running this application
     *                        in child mode with the launcher's own settings).
     * @param progress        starts each run's progress display.
     * @param log             where children's other output goes when echoed.
     * @param echoChildOutput whether to pass on what children print besides protocol lines.
     * @return one outcome per link kind, in the plan's order.
     * @throws RunFailedException naming the run, the rank and the cause when a child fails.
     */
    public static List<RunOutcome> run(
        final RingPlan plan,
        final IntFunction<List<String>> command,
        final ProgressFactory progress,
        final PrintStream log,
        final boolean echoChildOutput)
    {
        final ProcessLauncher launcher = new ProcessLauncher(plan, progress, log, echoChildOutput);
        try
        {
            launcher.start(command);
            final List<RunOutcome> outcomes = new ArrayList<>();
            for (int run = 0; run < plan.links().size(); run++)
            {
                outcomes.add(launcher.runOne(run));
            }
            launcher.awaitExit();
            return outcomes;
        }
        finally
        {
            launcher.destroyChildren();
        }
    }

    private void start(final IntFunction<List<String>> command)
    {
        final byte[] secret = new byte[SECRET_BYTES];
        new SecureRandom().nextBytes(secret);
        final String secretValue = "hex:" + HexFormat.of().formatHex(secret);
        for (int rank = 0; rank < plan.worldSize(); rank++)
        {
            final ProcessBuilder builder = new ProcessBuilder(command.apply(rank))
                .redirectError(ProcessBuilder.Redirect.INHERIT);
            final Map<String, String> environment = builder.environment();
            environment.put(NativeThreads.OMP_THREADS_ENV, Integer.toString(NativeThreads.PER_RANK));
            environment.put(RingContext.SECRET_ENV, secretValue);
            final Process child;
            try
            {
                child = builder.start();
            }
            catch (final IOException ex)
            {
                throw new RunFailedException("could not start the JVM of rank " + rank + ": " + ex.getMessage(), ex);
            }
            children.add(child);
            childInputs.add(new OutputStreamWriter(child.getOutputStream(), StandardCharsets.UTF_8));
            startReading(rank, child);
        }
    }

    private RunOutcome runOne(final int run)
    {
        final LinkKind kind = plan.links().get(run);
        final List<Event> later = new ArrayList<>();
        final String[] endpoints = new String[plan.worldSize()];
        int bound = 0;
        final long connectTimeoutNs = plan.connectTimeout().toNanos() + START_ALLOWANCE.toNanos();
        while (bound < endpoints.length)
        {
            final Event event = next(kind, connectTimeoutNs, "start and bind their endpoints");
            if (runOf(event.message()) > run)
            {
                later.add(event);
            }
            else if (event.message() instanceof LauncherMessage.Endpoint endpoint && endpoint.run() == run)
            {
                if (null == endpoints[endpoint.rank()])
                {
                    bound++;
                }
                endpoints[endpoint.rank()] = endpoint.endpoint();
            }
        }
        final long start = System.nanoTime();
        final LauncherMessage.Peers peers = new LauncherMessage.Peers(run, Arrays.asList(endpoints));
        for (int rank = 0; rank < children.size(); rank++)
        {
            sendTo(rank, peers);
        }
        final RankResult[] results = new RankResult[plan.worldSize()];
        int received = 0;
        final long inactivityNs = plan.connectTimeout().toNanos() + plan.operationTimeout().toNanos() + START_ALLOWANCE.toNanos();
        try (ProgressSink sink = progress.start(kind, plan.worldSize()))
        {
            while (received < results.length)
            {
                final Event event = next(kind, inactivityNs, "report progress");
                final LauncherMessage message = event.message();
                if (runOf(message) > run)
                {
                    later.add(event);
                }
                else if (message instanceof LauncherMessage.Progress step && step.run() == run)
                {
                    sink.iterationDone(step.rank(), step.iteration(), step.loss());
                }
                else if (message instanceof LauncherMessage.Evaluated evaluated && evaluated.run() == run)
                {
                    sink.evaluated(evaluated.epoch(), evaluated.iteration(), evaluated.testAccuracy());
                }
                else if (message instanceof LauncherMessage.Result result && result.run() == run)
                {
                    if (null == results[event.rank()])
                    {
                        received++;
                    }
                    results[event.rank()] = result.result();
                }
            }
        }
        deferred.addAll(later);
        final List<RankResult> ranks = Arrays.asList(results);
        final RunRecord record = RunAssembler.assemble(kind, ranks, plan, (System.nanoTime() - start) / 1e9);
        return new RunOutcome(kind, record, ranks);
    }

    /**
     * The next event of any child within {@code timeoutNs}; a failure or a failed exit ends the launch with the
     * first cause. A child exits successfully only after its last run, so such exits are skipped.
     */
    private Event next(final LinkKind kind, final long timeoutNs, final String what)
    {
        final long deadline = System.nanoTime() + timeoutNs;
        while (true)
        {
            final Event event = poll(deadline);
            if (null == event)
            {
                throw new RunFailedException("the " + kind.label() + " run failed: the ranks did not " + what + " within " +
                    TimeUnit.NANOSECONDS.toSeconds(timeoutNs) + " s", null);
            }
            if (event.message() instanceof LauncherMessage.Failure || (null == event.message() && 0 != event.exitStatus()))
            {
                throw failure(kind, event);
            }
            if (null != event.message())
            {
                return event;
            }
        }
    }

    private RunFailedException failure(final LinkKind kind, final Event first)
    {
        final List<Event> failures = new ArrayList<>(List.of(first));
        final long graceDeadline = System.nanoTime() + FAILURE_GRACE.toNanos();
        for (Event event = poll(graceDeadline); null != event; event = poll(graceDeadline))
        {
            if (event.message() instanceof LauncherMessage.Failure || (null == event.message() && 0 != event.exitStatus()))
            {
                failures.add(event);
            }
        }
        final Event cause = failures.stream()
            .filter(e -> e.message() instanceof LauncherMessage.Failure failure && !failure.consequence())
            .findFirst()
            .or(() -> failures.stream().filter(e -> e.message() instanceof LauncherMessage.Failure).findFirst())
            .orElse(first);
        final String reason = cause.message() instanceof LauncherMessage.Failure failure ? failure.message() :
            "its JVM exited with status " + cause.exitStatus() + " before finishing" +
            (echoChildOutput ? "" : " (run with --verbose to see its output)");
        return new RunFailedException("the " + kind.label() + " run failed on rank " + cause.rank() + ": " + reason, null);
    }

    private Event poll(final long deadline)
    {
        if (!deferred.isEmpty())
        {
            return deferred.poll();
        }
        try
        {
            return events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new RunFailedException("interrupted while waiting for the ranks", ex);
        }
    }

    private void sendTo(final int rank, final LauncherMessage message)
    {
        try
        {
            final Writer input = childInputs.get(rank);
            input.write(message.toLine());
            input.write(System.lineSeparator());
            input.flush();
        }
        catch (final IOException ex)
        {
            throw new RunFailedException("could not reach the JVM of rank " + rank + ": " + ex.getMessage(), ex);
        }
    }

    private void startReading(final int rank, final Process child)
    {
        final Thread reader = new Thread(() ->
        {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8)))
            {
                for (String line = lines.readLine(); null != line; line = lines.readLine())
                {
                    final LauncherMessage message = LauncherMessage.parse(line).orElse(null);
                    if (null != message)
                    {
                        events.add(new Event(rank, message, 0));
                    }
                    else if (echoChildOutput)
                    {
                        log.println("[rank " + rank + "] " + line);
                    }
                }
            }
            catch (final IOException | RuntimeException ex)
            {
                events.add(new Event(rank, new LauncherMessage.Failure(rank, "unreadable output: " + Failures.describe(ex), false), 0));
            }
            events.add(new Event(rank, null, exitStatus(child)));
        }, "qring-rank-" + rank + "-output");
        reader.setDaemon(true);
        reader.start();
    }

    private void awaitExit()
    {
        final long deadline = System.nanoTime() + EXIT_ALLOWANCE.toNanos();
        for (int rank = 0; rank < children.size(); rank++)
        {
            final Process child = children.get(rank);
            try
            {
                if (!child.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS))
                {
                    throw new RunFailedException("the JVM of rank " + rank + " did not exit within " +
                        EXIT_ALLOWANCE.toSeconds() + " s after its last run", null);
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new RunFailedException("interrupted while waiting for the ranks to exit", ex);
            }
            if (0 != child.exitValue())
            {
                throw new RunFailedException("the JVM of rank " + rank + " exited with status " + child.exitValue() +
                    " after its last run", null);
            }
        }
    }

    /**
     * Asks every child still running to stop (SIGTERM, so its shutdown hooks delete its embedded driver's
     * directory), waits up to {@link #DESTROY_GRACE} for them, then kills those left.
     */
    private void destroyChildren()
    {
        for (final Process child : children)
        {
            if (child.isAlive())
            {
                child.destroy();
            }
        }
        final long deadline = System.nanoTime() + DESTROY_GRACE.toNanos();
        for (final Process child : children)
        {
            try
            {
                if (!child.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS))
                {
                    child.destroyForcibly();
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                child.destroyForcibly();
            }
        }
    }

    /** @return the run a message belongs to, or −1 for messages that belong to no run. */
    private static int runOf(final LauncherMessage message)
    {
        if (message instanceof LauncherMessage.Endpoint endpoint)
        {
            return endpoint.run();
        }
        if (message instanceof LauncherMessage.Progress progress)
        {
            return progress.run();
        }
        if (message instanceof LauncherMessage.Evaluated evaluated)
        {
            return evaluated.run();
        }
        if (message instanceof LauncherMessage.Result result)
        {
            return result.run();
        }
        return -1;
    }

    private static int exitStatus(final Process child)
    {
        try
        {
            return child.waitFor();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /**
     * Something a child said or did.
     *
     * @param rank       the child's rank.
     * @param message    what it said, or {@code null} when its output ended (it exited).
     * @param exitStatus its exit status when {@code message} is {@code null}.
     */
    private record Event(int rank, LauncherMessage message, int exitStatus)
    {
    }
}
