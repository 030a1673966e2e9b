package io.qring.samples.launcher;

import io.qring.allreduce.Ring;
import io.qring.allreduce.RingAllReduce;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One rank in a child JVM started by a {@link ProcessLauncher}. For every run of the plan it binds a UDP
 * endpoint on loopback (any free port), tells the launcher the port, waits for every rank's endpoint,
 * connects, runs the job, closes the ring and sends its result, last ledgers taken after the close
 * ({@link RankJob#runThenClose}); progress travels to the launcher as it happens. The child exits when its
 * launcher goes away (its standard input ends).
 */
public final class ChildRank
{
    /** The loopback endpoint children bind; port 0 takes any free port. */
    public static final String LOOPBACK_ANY_PORT = "127.0.0.1:0";
    /** Exit status of a child whose launcher went away. */
    public static final int ORPHANED_EXIT_STATUS = 3;

    private final RingPlan plan;
    private final int rank;
    private final byte[] secret;
    private final PrintStream out;
    private final BlockingQueue<String> input = new LinkedBlockingQueue<>();

    private ChildRank(final RingPlan plan, final int rank, final byte[] secret, final PrintStream out)
    {
        this.plan = plan;
        this.rank = rank;
        this.secret = secret.clone();
        this.out = out;
    }

    /**
     * Runs every run of the plan as this rank.
     *
     * @param plan   the rings to run (the child's copy, from the same command line as the launcher's).
     * @param rank   this child's rank.
     * @param secret the ring's shared secret (from the launcher, through the environment).
     * @param job    what this rank does in each run.
     * @param in     the launcher's messages.
     * @param out    where this child's messages go (its standard output).
     * @return the exit status: 0 on success, 1 after reporting a failure.
     */
    public static int run(
        final RingPlan plan, final int rank, final byte[] secret, final RankJob job, final BufferedReader in, final PrintStream out)
    {
        final ChildRank child = new ChildRank(plan, rank, secret, out);
        child.startReading(in);
        try
        {
            for (int run = 0; run < plan.links().size(); run++)
            {
                child.runOne(run, job);
            }
            return 0;
        }
        catch (final Exception ex)
        {
            child.send(new LauncherMessage.Failure(rank, Failures.describe(ex), Failures.isConsequence(ex)));
            return 1;
        }
    }

    private void runOne(final int run, final RankJob job) throws Exception
    {
        final LinkKind kind = plan.links().get(run);
        final QberLog qberLog = new QberLog(plan.worldSize());
        final List<String> bindPeers = Collections.nCopies(plan.worldSize(), LOOPBACK_ANY_PORT);
        final Ring.BoundRank bound = Ring.bind(plan.rankContext(kind, run, rank, bindPeers, secret, qberLog).conclude());
        final RingAllReduce ring;
        try
        {
            send(new LauncherMessage.Endpoint(run, rank, bound.localEndpoint()));
            ring = bound.connect(awaitPeers(run).peers());
        }
        catch (final RuntimeException | InterruptedException ex)
        {
            bound.close();
            throw ex;
        }
        send(new LauncherMessage.Result(run, job.runThenClose(ring, new RankHooks(new ProgressForwarder(run), qberLog))));
    }

    private LauncherMessage.Peers awaitPeers(final int run) throws InterruptedException
    {
        final long timeoutNs = plan.connectTimeout().toNanos() + ProcessLauncher.START_ALLOWANCE.toNanos();
        final long deadline = System.nanoTime() + timeoutNs;
        while (true)
        {
            final String line = input.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (null == line)
            {
                throw new IllegalStateException("rank " + rank + " was not told its peers within " +
                    TimeUnit.NANOSECONDS.toSeconds(timeoutNs) + " s");
            }
            final LauncherMessage message = LauncherMessage.parse(line).orElse(null);
            if (message instanceof LauncherMessage.Peers peers && peers.run() == run)
            {
                return peers;
            }
        }
    }

    private void startReading(final BufferedReader in)
    {
        final Thread reader = new Thread(() ->
        {
            try
            {
                for (String line = in.readLine(); null != line; line = in.readLine())
                {
                    input.add(line);
                }
            }
            catch (final IOException ex)
            {
                // Treated as the end of the input below.
            }
            // The launcher is gone: nobody will collect this rank's results.
            System.exit(ORPHANED_EXIT_STATUS);
        }, "qring-launcher-input");
        reader.setDaemon(true);
        reader.start();
    }

    private void send(final LauncherMessage message)
    {
        final String line = message.toLine();
        synchronized (out)
        {
            out.println(line);
            out.flush();
        }
    }

    /** Sends this rank's progress to the launcher. */
    private final class ProgressForwarder implements ProgressSink
    {
        private final int run;

        ProgressForwarder(final int run)
        {
            this.run = run;
        }

        @Override
        public void iterationDone(final int rank, final long iteration, final double loss)
        {
            send(new LauncherMessage.Progress(run, rank, iteration, loss));
        }

        @Override
        public void evaluated(final int epoch, final long iteration, final double testAccuracy)
        {
            send(new LauncherMessage.Evaluated(run, epoch, iteration, testAccuracy));
        }
    }
}
