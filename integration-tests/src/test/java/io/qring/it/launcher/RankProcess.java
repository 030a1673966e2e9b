package io.qring.it.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * One child rank JVM: its process, the events it printed on stdout (read by a daemon thread as they
 * come), and its stderr log file. Every wait takes a deadline.
 */
public final class RankProcess
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private final int rank;
    private final Process process;
    private final Path errorLog;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final List<RankEvent> events = new ArrayList<>();
    private boolean endOfOutput;

    RankProcess(final int rank, final Process process, final Path errorLog)
    {
        this.rank = rank;
        this.process = process;
        this.errorLog = errorLog;
        final Thread reader = new Thread(this::readOutput, "rank-" + rank + "-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /** @return the child's rank. */
    public int rank()
    {
        return rank;
    }

    /** @return the child process. */
    public Process process()
    {
        return process;
    }

    /** @return every event printed so far, in order. */
    public List<RankEvent> events()
    {
        lock.lock();
        try
        {
            return List.copyOf(events);
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * @param name event name.
     * @return the events of that name printed so far.
     */
    public List<RankEvent> events(final String name)
    {
        return events().stream().filter(e -> e.is(name)).toList();
    }

    /**
     * @param name event name.
     * @return the first event of that name printed so far.
     */
    public Optional<RankEvent> first(final String name)
    {
        return events().stream().filter(e -> e.is(name)).findFirst();
    }

    /**
     * Waits until the child prints an event matching {@code condition}.
     *
     * @param condition    what to wait for.
     * @param deadlineNs   {@link System#nanoTime()} deadline.
     * @return the first matching event, or empty if the output ended or the deadline passed first.
     * @throws InterruptedException if interrupted.
     */
    public Optional<RankEvent> await(final Predicate<RankEvent> condition, final long deadlineNs) throws InterruptedException
    {
        lock.lock();
        try
        {
            int seen = 0;
            while (true)
            {
                for (; seen < events.size(); seen++)
                {
                    if (condition.test(events.get(seen)))
                    {
                        return Optional.of(events.get(seen));
                    }
                }
                final long remaining = deadlineNs - System.nanoTime();
                if (endOfOutput || remaining <= 0)
                {
                    return Optional.empty();
                }
                changed.awaitNanos(remaining);
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Waits for the child to exit.
     *
     * @param deadlineNs {@link System#nanoTime()} deadline.
     * @return the exit status, or empty if it still runs at the deadline.
     * @throws InterruptedException if interrupted.
     */
    public Optional<Integer> awaitExit(final long deadlineNs) throws InterruptedException
    {
        if (process.waitFor(Math.max(0, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS))
        {
            awaitEndOfOutput(deadlineNs);
            return Optional.of(process.exitValue());
        }
        return Optional.empty();
    }

    /**
     * Writes one line to the child's stdin.
     *
     * @param line the text, without line terminator.
     */
    public void send(final String line)
    {
        try
        {
            final OutputStream stdin = process.getOutputStream();
            stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write to rank " + rank + " (" + describeExit() + ")", ex);
        }
    }

    /** Closes the child's stdin (it reads end of input); ignores a child that is already gone. */
    public void closeInput()
    {
        try
        {
            process.getOutputStream().close();
        }
        catch (final IOException ex)
        {
            // The child exited and its pipe is broken: nothing left to close.
        }
    }

    /**
     * Kills the child at once (SIGKILL).
     *
     * @return {@link System#nanoTime()} just before the kill.
     */
    public long kill()
    {
        final long now = System.nanoTime();
        process.destroyForcibly();
        return now;
    }

    /** @return everything the child printed (events and other stdout lines) and the tail of its stderr, for messages. */
    public String transcript()
    {
        final StringBuilder text = new StringBuilder("rank ").append(rank).append(" (").append(describeExit()).append(")\n");
        for (final RankEvent event : events())
        {
            text.append("  out: ").append(event.json()).append('\n');
        }
        try
        {
            final List<String> lines = Files.exists(errorLog) ? Files.readAllLines(errorLog) : List.of();
            lines.subList(Math.max(0, lines.size() - 20), lines.size()).forEach(line -> text.append("  err: ").append(line).append('\n'));
        }
        catch (final IOException | UncheckedIOException ex)
        {
            text.append("  err: unreadable ").append(errorLog).append(": ").append(ex.getMessage()).append('\n');
        }
        return text.toString();
    }

    private String describeExit()
    {
        return process.isAlive() ? "running, pid " + process.pid() : "exited " + process.exitValue() + ", pid " + process.pid();
    }

    private void awaitEndOfOutput(final long deadlineNs) throws InterruptedException
    {
        lock.lock();
        try
        {
            while (!endOfOutput)
            {
                final long remaining = deadlineNs - System.nanoTime();
                if (remaining <= 0)
                {
                    return;
                }
                changed.awaitNanos(remaining);
            }
        }
        finally
        {
            lock.unlock();
        }
    }

    private void readOutput()
    {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while (null != (line = reader.readLine()))
            {
                record(line, System.nanoTime());
            }
        }
        catch (final IOException ex)
        {
            record("stdout of rank " + rank + " broke: " + ex, System.nanoTime());
        }
        finally
        {
            lock.lock();
            try
            {
                endOfOutput = true;
                changed.signalAll();
            }
            finally
            {
                lock.unlock();
            }
        }
    }

    private void record(final String line, final long receivedNs)
    {
        final RankEvent event = new RankEvent(parse(line), receivedNs);
        lock.lock();
        try
        {
            events.add(event);
            changed.signalAll();
        }
        finally
        {
            lock.unlock();
        }
    }

    /** A JSON object line as it is; any other line as a {@code stdout} event holding the text. */
    private static JsonNode parse(final String line)
    {
        if (line.startsWith("{"))
        {
            try
            {
                final JsonNode json = JSON.readTree(line);
                if (json.isObject())
                {
                    return json;
                }
            }
            catch (final IOException ex)
            {
                return JsonNodeFactory.instance.objectNode().put("event", "stdout").put("text", line);
            }
        }
        return JsonNodeFactory.instance.objectNode().put("event", "stdout").put("text", line);
    }
}
