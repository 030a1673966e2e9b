package io.qring.it.launcher;

import io.qring.allreduce.config.RingContext;
import io.qring.allreduce.config.TransportKind;
import org.agrona.IoUtil;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.Collectors;

/**
 * Starts the ranks of a ring as separate JVMs for tests: the JVM of this process ({@code java.home}),
 * this process's class path, the Aeron {@code --add-opens} flags, {@code -Xmx512m} and
 * {@code OMP_NUM_THREADS=1}, membership in {@code QRING_*} variables. For UDP every child binds
 * {@code 127.0.0.1:0} (unless told otherwise), prints the endpoint it got, and
 * {@link #rendezvous(long)} sends each child the full list: no port can be taken between choosing
 * and binding it. {@link #close()} ends whatever still runs (end of stdin first, then a kill) and
 * removes the Aeron directories killed children leave in /dev/shm.
 * <pre>{@code
 * try (RankLauncher ranks = RankLauncher.builder().worldSize(3).mainClass(RankMain.class).args(r -> args).start())
 * {
 *     ranks.rendezvous(deadline);
 *     ranks.release(deadline);
 *     ranks.awaitExit(deadline);
 * }
 * }</pre>
 */
public final class RankLauncher implements AutoCloseable
{
    /** Maximum heap of every child JVM. */
    public static final String CHILD_HEAP = "-Xmx512m";
    /** What Aeron needs opened on Java 17. */
    public static final List<String> ADD_OPENS = List.of(
        "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
        "--add-opens", "java.base/java.nio=ALL-UNNAMED",
        "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED");
    /** Loopback endpoint with any free port, each child's default UDP endpoint. */
    public static final String ANY_LOOPBACK_PORT = "127.0.0.1:0";
    /** How long {@link #close()} lets children exit by themselves after closing their stdin. */
    public static final long GRACEFUL_EXIT_NS = TimeUnit.SECONDS.toNanos(5);
    /** How long {@link #close()} waits for killed children to go. */
    public static final long KILL_WAIT_NS = TimeUnit.SECONDS.toNanos(10);

    private final List<RankProcess> ranks;

    private RankLauncher(final List<RankProcess> ranks)
    {
        this.ranks = ranks;
    }

    /** @return a builder. */
    public static Builder builder()
    {
        return new Builder();
    }

    /** @return number of children. */
    public int worldSize()
    {
        return ranks.size();
    }

    /**
     * @param rank a rank.
     * @return its child.
     */
    public RankProcess rank(final int rank)
    {
        return ranks.get(rank);
    }

    /** @return every child in rank order. */
    public List<RankProcess> ranks()
    {
        return ranks;
    }

    /**
     * UDP rendezvous: waits for every child's {@code bound} event and sends each the comma-separated list of
     * all bound endpoints.
     *
     * @param deadlineNs {@link System#nanoTime()} deadline.
     * @return the endpoints in rank order.
     * @throws IllegalStateException with every child's transcript if one exits or stays silent instead.
     * @throws InterruptedException  if interrupted.
     */
    public List<String> rendezvous(final long deadlineNs) throws InterruptedException
    {
        final List<String> endpoints = new ArrayList<>(ranks.size());
        for (final RankProcess rank : ranks)
        {
            final Optional<RankEvent> bound = rank.await(e -> e.is("bound"), deadlineNs);
            if (bound.isEmpty())
            {
                throw new IllegalStateException("rank " + rank.rank() + " did not bind its endpoint:\n" + transcripts());
            }
            endpoints.add(bound.get().json().path("endpoint").asText());
        }
        final String line = String.join(",", endpoints);
        ranks.forEach(rank -> rank.send(line));
        return endpoints;
    }

    /**
     * Exit barrier: waits until every child has printed {@code done} or {@code error} (or exited), then
     * sends each {@code done} child one line, which releases it to close its ring (failed children close
     * at once by themselves).
     *
     * @param deadlineNs {@link System#nanoTime()} deadline.
     * @throws IllegalStateException with every child's transcript if one neither finishes nor fails in time.
     * @throws InterruptedException  if interrupted.
     */
    public void release(final long deadlineNs) throws InterruptedException
    {
        for (final RankProcess rank : ranks)
        {
            if (rank.await(e -> e.is("done") || e.is("error"), deadlineNs).isEmpty() && rank.process().isAlive())
            {
                throw new IllegalStateException("rank " + rank.rank() + " neither finished nor failed in time:\n" + transcripts());
            }
        }
        for (final RankProcess rank : ranks)
        {
            if (rank.first("done").isPresent())
            {
                rank.send("exit");
            }
        }
    }

    /**
     * Waits for every child to exit.
     *
     * @param deadlineNs {@link System#nanoTime()} deadline.
     * @return exit statuses in rank order.
     * @throws IllegalStateException with every child's transcript if one still runs at the deadline.
     * @throws InterruptedException  if interrupted.
     */
    public List<Integer> awaitExit(final long deadlineNs) throws InterruptedException
    {
        final List<Integer> statuses = new ArrayList<>(ranks.size());
        for (final RankProcess rank : ranks)
        {
            final Optional<Integer> status = rank.awaitExit(deadlineNs);
            if (status.isEmpty())
            {
                throw new IllegalStateException("rank " + rank.rank() + " still runs at the deadline:\n" + transcripts());
            }
            statuses.add(status.get());
        }
        return statuses;
    }

    /** @return every child's transcript, for assertion messages. */
    public String transcripts()
    {
        return ranks.stream().map(RankProcess::transcript).collect(Collectors.joining());
    }

    /**
     * Ends every child: closes the stdin of those still running (a waiting {@code RankMain} then exits
     * cleanly), waits up to {@link #GRACEFUL_EXIT_NS}, kills the rest, waits up to {@link #KILL_WAIT_NS},
     * and deletes any embedded-driver directory a child reported and left behind.
     */
    @Override
    public void close()
    {
        try
        {
            ranks.forEach(RankProcess::closeInput);
            awaitAll(System.nanoTime() + GRACEFUL_EXIT_NS);
            ranks.forEach(rank -> rank.process().destroyForcibly());
            awaitAll(System.nanoTime() + KILL_WAIT_NS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        for (final RankProcess rank : ranks)
        {
            final String directory = rank.first("bound").map(e -> e.json().path("aeronDirectory").asText("")).orElse("");
            if (!directory.isEmpty() && !rank.process().isAlive())
            {
                IoUtil.delete(new File(directory), true);
            }
        }
    }

    private void awaitAll(final long deadlineNs) throws InterruptedException
    {
        for (final RankProcess rank : ranks)
        {
            rank.process().waitFor(Math.max(0, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
    }

    /** Settings of the children; {@link #start()} spawns them. */
    public static final class Builder
    {
        private int worldSize;
        private Class<?> mainClass;
        private TransportKind transport = TransportKind.UDP;
        private String secret = "integration tests' shared secret";
        private IntFunction<List<String>> args = rank -> List.of();
        private IntFunction<Map<String, String>> environment = rank -> Map.of();
        private IntFunction<String> endpoint = rank -> ANY_LOOPBACK_PORT;
        private Path logDirectory = Paths.get("target", "rank-logs");

        private Builder()
        {
        }

        /**
         * @param worldSize number of children, at least 2.
         * @return this.
         */
        public Builder worldSize(final int worldSize)
        {
            this.worldSize = worldSize;
            return this;
        }

        /**
         * @param mainClass class whose {@code main} each child runs.
         * @return this.
         */
        public Builder mainClass(final Class<?> mainClass)
        {
            this.mainClass = mainClass;
            return this;
        }

        /**
         * @param transport {@code QRING_TRANSPORT} of every child (default UDP).
         * @return this.
         */
        public Builder transport(final TransportKind transport)
        {
            this.transport = transport;
            return this;
        }

        /**
         * @param secret {@code QRING_SECRET} of every child, at least 16 bytes.
         * @return this.
         */
        public Builder secret(final String secret)
        {
            this.secret = secret;
            return this;
        }

        /**
         * @param args program arguments of each rank.
         * @return this.
         */
        public Builder args(final IntFunction<List<String>> args)
        {
            this.args = args;
            return this;
        }

        /**
         * @param environment extra or overriding environment variables of each rank (e.g. another secret).
         * @return this.
         */
        public Builder environment(final IntFunction<Map<String, String>> environment)
        {
            this.environment = environment;
            return this;
        }

        /**
         * @param endpoint UDP endpoint each rank binds (default {@link #ANY_LOOPBACK_PORT}).
         * @return this.
         */
        public Builder endpoint(final IntFunction<String> endpoint)
        {
            this.endpoint = endpoint;
            return this;
        }

        /**
         * @param logDirectory where each child's stderr goes ({@code rank-r.err}).
         * @return this.
         */
        public Builder logDirectory(final Path logDirectory)
        {
            this.logDirectory = logDirectory;
            return this;
        }

        /**
         * Spawns every child; on failure kills those already started.
         *
         * @return the running children.
         */
        public RankLauncher start()
        {
            if (worldSize < 2 || null == mainClass)
            {
                throw new IllegalArgumentException("need worldSize >= 2 and a main class, got " + worldSize + ", " + mainClass);
            }
            final List<RankProcess> started = new ArrayList<>(worldSize);
            try
            {
                Files.createDirectories(logDirectory);
                for (int rank = 0; rank < worldSize; rank++)
                {
                    final List<String> peerList = new ArrayList<>(Collections.nCopies(worldSize, ANY_LOOPBACK_PORT));
                    peerList.set(rank, endpoint.apply(rank));
                    final Path errorLog = logDirectory.resolve("rank-" + rank + ".err");
                    final ProcessBuilder builder = new ProcessBuilder(command(rank))
                        .redirectError(errorLog.toFile());
                    final Map<String, String> env = builder.environment();
                    env.keySet().removeIf(name -> name.startsWith("QRING_"));
                    env.put("OMP_NUM_THREADS", "1");
                    env.put(RingContext.WORLD_SIZE_ENV, Integer.toString(worldSize));
                    env.put(RingContext.RANK_ENV, Integer.toString(rank));
                    env.put(RingContext.TRANSPORT_ENV, transport.name().toLowerCase(Locale.ROOT));
                    env.put(RingContext.PEERS_ENV, String.join(",", peerList));
                    env.put(RingContext.SECRET_ENV, secret);
                    env.putAll(environment.apply(rank));
                    started.add(new RankProcess(rank, builder.start(), errorLog));
                }
                return new RankLauncher(List.copyOf(started));
            }
            catch (final IOException ex)
            {
                new RankLauncher(started).close();
                throw new UncheckedIOException("cannot start rank " + started.size(), ex);
            }
            catch (final RuntimeException ex)
            {
                new RankLauncher(started).close();
                throw ex;
            }
        }

        private List<String> command(final int rank)
        {
            final List<String> command = new ArrayList<>();
            command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
            command.add(CHILD_HEAP);
            command.add("-XX:+UseSerialGC");
            command.addAll(ADD_OPENS);
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(mainClass.getName());
            command.addAll(args.apply(rank));
            return command;
        }
    }
}
