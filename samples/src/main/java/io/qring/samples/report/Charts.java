package io.qring.samples.report;

import io.qring.channel.ledger.LedgerCounter;
import io.qring.channel.ledger.LedgerSnapshot;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.colors.XChartSeriesColors;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Builds the report's XChart charts from run records. A chart with nothing to plot is not built.
 */
final class Charts
{
    static final int WIDTH = 1100;
    static final int HEIGHT = 560;

    static final String LOSS_FILE = "loss.png";
    static final String ACCURACY_FILE = "accuracy.png";
    static final String ONLINE_USES_FILE = "online-uses-per-link.png";
    static final String CUMULATIVE_ONLINE_FILE = "cumulative-online.png";
    static final String QBER_FILE = "qber.png";
    /** Every file name a chart can be written to, in the order {@link #all} builds them. */
    static final List<String> FILE_NAMES = List.of(LOSS_FILE, ACCURACY_FILE, ONLINE_USES_FILE, CUMULATIVE_ONLINE_FILE, QBER_FILE);

    private static final String COUNT_PATTERN = "#,##0";
    private static final Color[] PALETTE = new XChartSeriesColors().getSeriesColors();

    private Charts()
    {
    }

    /** A chart and the file name it is written to. */
    record NamedChart(String fileName, String caption, XYChart chart)
    {
    }

    static List<NamedChart> all(final List<RunRecord> runs)
    {
        final List<NamedChart> charts = new ArrayList<>();
        loss(runs).ifPresent(charts::add);
        accuracy(runs).ifPresent(charts::add);
        onlineUsesPerLink(runs).ifPresent(charts::add);
        cumulativeOnline(runs).ifPresent(charts::add);
        qber(runs).ifPresent(charts::add);
        return charts;
    }

    static Optional<NamedChart> loss(final List<RunRecord> runs)
    {
        final XYChart chart = chart("Training loss", "iteration", "loss", "0.###");
        for (int r = 0; r < runs.size(); r++)
        {
            final RunRecord run = runs.get(r);
            final List<double[]> points = new ArrayList<>();
            for (final IterationRecord iteration : run.iterations())
            {
                points.add(new double[]{iteration.iteration(), iteration.loss()});
            }
            addLine(chart, run.label(), points, SeriesLines.SOLID, colour(r));
        }
        return named(LOSS_FILE, "Training loss vs iteration, runs overlaid", chart);
    }

    static Optional<NamedChart> accuracy(final List<RunRecord> runs)
    {
        final XYChart chart = chart("Test accuracy", "iteration", "test accuracy (%)", "0.#");
        for (int r = 0; r < runs.size(); r++)
        {
            final RunRecord run = runs.get(r);
            final List<double[]> points = new ArrayList<>();
            for (final Evaluation evaluation : run.evaluations())
            {
                points.add(new double[]{evaluation.iteration(), 100.0 * evaluation.testAccuracy()});
            }
            addLine(chart, run.label(), points, SeriesLines.SOLID, colour(r)).ifPresent(s -> s.setMarker(SeriesMarkers.CIRCLE));
        }
        return named(ACCURACY_FILE, "Test accuracy vs iteration, runs overlaid", chart);
    }

    static Optional<NamedChart> onlineUsesPerLink(final List<RunRecord> runs)
    {
        final XYChart chart = chart("Online channel uses per link per iteration", "iteration", "uses per iteration",
            COUNT_PATTERN);
        int line = 0;
        for (final RunRecord run : runs)
        {
            for (final String link : run.links())
            {
                final Color colour = colour(line++);
                addLine(chart, run.label() + " " + link + " online qubits",
                    perIteration(run, link, LedgerCounter.ONLINE_QUBITS), SeriesLines.SOLID, colour);
                addLine(chart, run.label() + " " + link + " online classical bits",
                    perIteration(run, link, LedgerCounter.ONLINE_CLASSICAL_BITS), SeriesLines.DASH_DASH, colour);
            }
        }
        return named(ONLINE_USES_FILE,
            "Online qubits and online classical bits sent on each directed link in each iteration", chart);
    }

    static Optional<NamedChart> cumulativeOnline(final List<RunRecord> runs)
    {
        final XYChart chart = chart("Cumulative online qubits vs classical bits (all links)", "iteration", "cumulative count",
            COUNT_PATTERN);
        for (int r = 0; r < runs.size(); r++)
        {
            final RunRecord run = runs.get(r);
            addLine(chart, run.label() + " online qubits", cumulative(run, LedgerCounter.ONLINE_QUBITS), SeriesLines.SOLID,
                colour(3 * r));
            addLine(chart, run.label() + " online classical bits",
                cumulative(run, LedgerCounter.ONLINE_CLASSICAL_BITS), SeriesLines.DASH_DASH, colour(3 * r + 1));
            addLine(chart, run.label() + " classical-equivalent bits",
                cumulative(run, LedgerCounter.CLASSICAL_EQUIVALENT_BITS), SeriesLines.DOT_DOT, colour(3 * r + 2));
        }
        return named(CUMULATIVE_ONLINE_FILE,
            "Cumulative online qubits and online classical bits over all links, with the classical-equivalent bits " +
            "a classical ring would have sent for the same payload", chart);
    }

    static Optional<NamedChart> qber(final List<RunRecord> runs)
    {
        final XYChart chart = chart("QBER estimates per link", "iteration", "QBER", "0.000");
        int line = 0;
        for (final RunRecord run : runs)
        {
            final List<String> links = new ArrayList<>();
            run.qberEstimates().forEach(e ->
            {
                if (!links.contains(e.link()))
                {
                    links.add(e.link());
                }
            });
            for (final String link : links)
            {
                final List<double[]> estimates = new ArrayList<>();
                final List<double[]> bounds = new ArrayList<>();
                for (final QberEstimate estimate : run.qberEstimates())
                {
                    if (estimate.link().equals(link))
                    {
                        estimates.add(new double[]{estimate.iteration(), estimate.estimate()});
                        bounds.add(new double[]{estimate.iteration(), estimate.upperBound()});
                    }
                }
                final Color colour = colour(line++);
                addLine(chart, run.label() + " " + link + " estimate", estimates, SeriesLines.SOLID, colour)
                    .ifPresent(s -> s.setMarker(SeriesMarkers.CIRCLE));
                addLine(chart, run.label() + " " + link + " upper bound", bounds, SeriesLines.DASH_DASH, colour);
            }
        }
        return named(QBER_FILE, "QBER estimated in each verification round, per link, with its upper confidence bound",
            chart);
    }

    private static List<double[]> perIteration(final RunRecord run, final String link, final LedgerCounter counter)
    {
        final List<double[]> points = new ArrayList<>();
        boolean any = false;
        for (final IterationRecord iteration : run.iterations())
        {
            long value = 0;
            for (final LedgerSnapshot delta : iteration.linkDeltas())
            {
                if (delta.link().equals(link))
                {
                    value += delta.get(counter);
                }
            }
            any |= value != 0;
            points.add(new double[]{iteration.iteration(), value});
        }
        return any ? points : List.of();
    }

    private static List<double[]> cumulative(final RunRecord run, final LedgerCounter counter)
    {
        final List<double[]> points = new ArrayList<>();
        long total = 0;
        for (final IterationRecord iteration : run.iterations())
        {
            for (final LedgerSnapshot delta : iteration.linkDeltas())
            {
                total += delta.get(counter);
            }
            points.add(new double[]{iteration.iteration(), total});
        }
        return total == 0 ? List.of() : points;
    }

    private static XYChart chart(final String title, final String xTitle, final String yTitle, final String yPattern)
    {
        final XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
            .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        final XYStyler styler = chart.getStyler();
        styler.setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        styler.setLegendPosition(Styler.LegendPosition.OutsideE);
        styler.setYAxisDecimalPattern(yPattern);
        styler.setXAxisDecimalPattern("0");
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setPlotGridLinesVisible(true);
        styler.setMarkerSize(6);
        styler.setAntiAlias(true);
        return chart;
    }

    /** Adds a line of finite points; returns nothing (and adds nothing) when there are none. */
    private static Optional<XYSeries> addLine(final XYChart chart, final String name, final List<double[]> points,
        final BasicStroke stroke, final Color colour)
    {
        final List<double[]> finite = points.stream().filter(p -> Double.isFinite(p[1])).toList();
        if (finite.isEmpty())
        {
            return Optional.empty();
        }
        final double[] x = finite.stream().mapToDouble(p -> p[0]).toArray();
        final double[] y = finite.stream().mapToDouble(p -> p[1]).toArray();
        final XYSeries series = chart.addSeries(name, x, y);
        series.setMarker(SeriesMarkers.NONE);
        series.setLineStyle(stroke);
        series.setLineColor(colour);
        series.setMarkerColor(colour);
        return Optional.of(series);
    }

    private static Color colour(final int index)
    {
        return PALETTE[index % PALETTE.length];
    }

    private static Optional<NamedChart> named(final String fileName, final String caption, final XYChart chart)
    {
        return chart.getSeriesMap().isEmpty() ? Optional.empty() : Optional.of(new NamedChart(fileName, caption, chart));
    }
}
