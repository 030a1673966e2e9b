package io.qring.samples.report;

import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Renders the report's self-contained HTML page: no scripts or external resources; every chart is
 * embedded as a PNG data URI and also linked to its file beside the page.
 */
final class HtmlPage
{
    /** A chart as written: its file name, caption and PNG bytes. */
    record RenderedChart(String fileName, String caption, byte[] png)
    {
    }

    private static final String STYLE = String.join("\n",
        "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}",
        "table{border-collapse:collapse;margin:1em 0;font-size:0.9em}",
        "th,td{border:1px solid #ccc;padding:0.3em 0.6em}",
        ".scroll{overflow-x:auto}",
        "td{text-align:right;font-variant-numeric:tabular-nums}",
        "td.name{text-align:left}",
        "th{background:#f3f3f3}",
        "figure{margin:1.5em 0}",
        "img{max-width:100%;border:1px solid #ddd}",
        "code,pre{background:#f6f6f6;padding:0.2em 0.4em}",
        "pre{padding:0.8em;overflow-x:auto}");

    private HtmlPage()
    {
    }

    static String render(final Report report, final List<RenderedChart> charts, final List<String> dataFiles)
    {
        final StringBuilder html = new StringBuilder(64 * 1024);
        html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
            .append(escape(report.title())).append("</title>\n<style>\n").append(STYLE).append("\n</style>\n</head>\n<body>\n")
            .append("<h1>").append(escape(report.title())).append("</h1>\n");

        html.append("<h2>Reproduce</h2>\n<pre>").append(escape(report.reproduction().commandLine())).append("</pre>\n")
            .append("<p>Seed <code>").append(report.reproduction().seed()).append("</code></p>\n");
        if (!report.reproduction().configuration().isEmpty())
        {
            html.append("<table>\n<tr><th>setting</th><th>value</th></tr>\n");
            for (final Map.Entry<String, String> setting : report.reproduction().configuration().entrySet())
            {
                html.append("<tr><td class=\"name\">").append(escape(setting.getKey())).append("</td><td class=\"name\">")
                    .append(escape(setting.getValue())).append("</td></tr>\n");
            }
            html.append("</table>\n");
        }

        html.append("<h2>Summary</h2>\n");
        table(html, SummaryRows.RUN_HEADER, SummaryRows.runRows(report.runs()), 1);
        html.append("<h2>Link ledger (totals over the run)</h2>\n");
        table(html, SummaryRows.LEDGER_HEADER, SummaryRows.ledgerRows(report.runs()), 2);

        html.append("<h2>Charts</h2>\n");
        if (charts.isEmpty())
        {
            html.append("<p>No iterations were recorded.</p>\n");
        }
        for (final RenderedChart chart : charts)
        {
            html.append("<figure>\n<a href=\"").append(escape(chart.fileName())).append("\"><img src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(chart.png())).append("\" alt=\"").append(escape(chart.fileName()))
                .append("\"></a>\n<figcaption>").append(escape(chart.caption())).append(" (<a href=\"")
                .append(escape(chart.fileName())).append("\">").append(escape(chart.fileName()))
                .append("</a>)</figcaption>\n</figure>\n");
        }

        html.append("<h2>Raw data</h2>\n<ul>\n");
        for (final String file : dataFiles)
        {
            html.append("<li><a href=\"").append(escape(file)).append("\">").append(escape(file)).append("</a></li>\n");
        }
        html.append("</ul>\n</body>\n</html>\n");
        return html.toString();
    }

    private static void table(final StringBuilder html, final List<String> header, final List<List<String>> rows,
        final int nameColumns)
    {
        html.append("<div class=\"scroll\">\n<table>\n<tr>");
        for (final String cell : header)
        {
            html.append("<th>").append(escape(cell)).append("</th>");
        }
        html.append("</tr>\n");
        for (final List<String> row : rows)
        {
            html.append("<tr>");
            for (int c = 0; c < row.size(); c++)
            {
                html.append(c < nameColumns ? "<td class=\"name\">" : "<td>").append(escape(row.get(c))).append("</td>");
            }
            html.append("</tr>\n");
        }
        html.append("</table>\n</div>\n");
    }

    static String escape(final String text)
    {
        final StringBuilder escaped = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            switch (c)
            {
                case '<' -> escaped.append("&lt;");
                case '>' -> escaped.append("&gt;");
                case '&' -> escaped.append("&amp;");
                case '"' -> escaped.append("&quot;");
                case '\'' -> escaped.append("&#39;");
                default -> escaped.append(c);
            }
        }
        return escaped.toString();
    }
}
