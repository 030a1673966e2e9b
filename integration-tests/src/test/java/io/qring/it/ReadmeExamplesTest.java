package io.qring.it;

import org.junit.jupiter.api.Test;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's Java against the real API: its {@code java} code block, and after it the code of each row
 * of its table of training modes (so the rows use the ring the block connects), each compiled by the JDK's
 * compiler as a method body on this module's class path. A renamed method, a changed signature or a
 * missing type in the README fails here, naming the snippet and the compiler's message; so does a code
 * span in the table that is neither a statement nor a call nor known prose. Compiled, not run: connecting
 * needs a ring, which other tests run.
 */
class ReadmeExamplesTest
{
    private static final Path README = Path.of("..", "README.md");
    private static final Pattern JAVA_BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);
    private static final String MODES_TABLE_HEADER = "| mode | the change to existing training code |";
    private static final Pattern CODE_SPAN = Pattern.compile("`([^`]+)`");
    /** A code span that is a call on a receiver, such as {@code averaging.averageNow(model)}: a statement once closed. */
    private static final Pattern RECEIVER_CALL = Pattern.compile("\\w+\\.\\w+\\(.*\\)");
    private static final String IMPORTS = String.join("\n",
        "import io.qring.allreduce.*;",
        "import io.qring.allreduce.config.*;",
        "import io.qring.allreduce.quantum.*;",
        "import io.qring.dl4j.*;",
        "import io.qring.channel.ledger.*;",
        "import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;",
        "import org.deeplearning4j.parallelism.ParallelWrapper;",
        "import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;",
        "import java.nio.file.Path;");
    /** What the README's snippets take as given: the user's model, data and files. */
    private static final String GIVEN = "MultiLayerNetwork model, DataSetIterator shardIterator, Path csv, Path jsonl";
    /** Code spans of the table that name things in its prose rather than being code to run. */
    private static final List<String> PROSE_SPANS = List.of("fit(DataSet)", "AutoCloseable", "close()");

    @Test
    void shouldCompileEveryJavaExampleOfTheReadme() throws IOException
    {
        final String readme = Files.readString(README);
        final List<String> blocks = javaBlocks(readme);
        final List<String> prose = new ArrayList<>();
        final List<String> rows = modeRows(readme, prose);
        assertEquals(1, blocks.size(), "java code blocks in the README");
        assertEquals(6, rows.size(), "rows of the training modes table");
        assertEquals(PROSE_SPANS, prose, "code spans of the table that are not compiled");

        final StringBuilder source = new StringBuilder(IMPORTS).append("\nclass ReadmeSnippets\n{\n");
        for (int i = 0; i < rows.size(); i++)
        {
            source.append("void mode").append(i).append('(').append(GIVEN).append(") throws Exception\n{\n")
                .append(blocks.get(0)).append(rows.get(i)).append("}\n");
        }
        source.append("}\n");

        final String errors = compile(source.toString());

        assertEquals("", errors, "the README's Java does not compile against the API:\n" + numbered(source.toString()));
    }

    private static List<String> javaBlocks(final String readme)
    {
        final List<String> blocks = new ArrayList<>();
        final Matcher matcher = JAVA_BLOCK.matcher(readme);
        while (matcher.find())
        {
            blocks.add(matcher.group(1));
        }
        return blocks;
    }

    /**
     * @param prose where the spans that are none of these go, in order.
     * @return per row of the modes table, the statements its code spans make: spans ending in a semicolon
     *         as they are, calls on a receiver closed with one, and a span starting with a dot (a step of
     *         the {@code ParallelWrapper} builder) applied to a builder of the model.
     */
    private static List<String> modeRows(final String readme, final List<String> prose)
    {
        final int table = readme.indexOf(MODES_TABLE_HEADER);
        assertTrue(table >= 0, "the README has no table starting " + MODES_TABLE_HEADER);
        final List<String> rows = new ArrayList<>();
        for (final String line : readme.substring(table).lines().skip(2).takeWhile(l -> l.startsWith("|")).toList())
        {
            final String change = line.substring(line.indexOf('|', 1) + 1);
            final StringBuilder statements = new StringBuilder();
            final Matcher span = CODE_SPAN.matcher(change);
            while (span.find())
            {
                final String code = span.group(1).trim();
                if (code.endsWith(";"))
                {
                    statements.append(code).append('\n');
                }
                else if (code.startsWith("."))
                {
                    statements.append("new ParallelWrapper.Builder<>(model)").append(code).append(";\n");
                }
                else if (RECEIVER_CALL.matcher(code).matches())
                {
                    statements.append(code).append(";\n");
                }
                else
                {
                    prose.add(code);
                }
            }
            assertTrue(statements.length() > 0, "no code in the README's row " + line);
            rows.add(statements.toString());
        }
        return rows;
    }

    private static String compile(final String source)
    {
        final JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        assertNotNull(compiler, "the tests need a JDK, not a JRE");
        final DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        final JavaFileObject unit = new SimpleJavaFileObject(URI.create("string:///ReadmeSnippets.java"), JavaFileObject.Kind.SOURCE)
        {
            @Override
            public CharSequence getCharContent(final boolean ignoreEncodingErrors)
            {
                return source;
            }
        };
        final StringWriter output = new StringWriter();
        final boolean compiled = compiler.getTask(output, null, diagnostics,
            List.of("-proc:none", "-d", Path.of("target", "readme-snippets").toString(), "-classpath", System.getProperty("java.class.path")),
            null, List.of(unit)).call();
        final String errors = diagnostics.getDiagnostics().stream()
            .filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
            .map(d -> "line " + d.getLineNumber() + ": " + d.getMessage(null))
            .collect(Collectors.joining("\n"));
        return compiled ? "" : "javac failed:\n" + errors + output;
    }

    private static String numbered(final String source)
    {
        final List<String> lines = source.lines().toList();
        final StringBuilder out = new StringBuilder();
        for (int i = 0; i < lines.size(); i++)
        {
            out.append(i + 1).append(": ").append(lines.get(i)).append('\n');
        }
        return out.toString();
    }
}
