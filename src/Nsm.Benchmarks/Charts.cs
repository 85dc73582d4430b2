using ScottPlot;
using Nsm.Core;

namespace Nsm.Benchmarks;

/// <summary>One line of a chart: a name and its points (x ascending).</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>
/// Line charts as PNG files (ScottPlot 5), written atomically. Logarithmic axes plot log10 of
/// the values and label the ticks with the original numbers (ScottPlot's recipe for log
/// scales), so non-positive values are left out of log charts.
/// </summary>
public static class Charts
{
    public const int Width = 900;
    public const int Height = 560;

    /// <summary>Writes a line chart with one line per series to path (PNG).</summary>
    public static void Line(string path, string title, string xLabel, string yLabel, IEnumerable<ChartSeries> series, bool logX = false, bool logY = false)
    {
        var plot = new Plot();
        var any = false;
        foreach (var s in series)
        {
            var points = s.X.Zip(s.Y).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second) && (!logX || p.First > 0) && (!logY || p.Second > 0)).ToList();
            if (points.Count == 0) continue;
            var xs = points.Select(p => logX ? Math.Log10(p.First) : p.First).ToArray();
            var ys = points.Select(p => logY ? Math.Log10(p.Second) : p.Second).ToArray();
            var scatter = plot.Add.Scatter(xs, ys);
            scatter.LegendText = s.Name;
            scatter.LineWidth = 2;
            scatter.MarkerSize = 7;
            any = true;
        }
        if (!any) plot.Add.Annotation("no successful measurements to plot");
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        if (logX) plot.Axes.Bottom.TickGenerator = LogTicks();
        if (logY) plot.Axes.Left.TickGenerator = LogTicks();
        if (any) plot.ShowLegend(Alignment.UpperLeft);
        Save(plot, path);
    }

    /// <summary>Writes the plot as PNG through a temporary file.</summary>
    public static void Save(Plot plot, string path)
    {
        var bytes = plot.GetImageBytes(Width, Height, ScottPlot.ImageFormat.Png);
        AtomicFile.Write(path, tmp => File.WriteAllBytes(tmp, bytes));
    }

    private static ScottPlot.TickGenerators.NumericAutomatic LogTicks() => new()
    {
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        IntegerTicksOnly = true,
        LabelFormatter = value => Format(Math.Pow(10, value)),
    };

    /// <summary>Compact numbers for tick labels: 1k, 64k, 2.5M, 0.01.</summary>
    public static string Format(double value)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var a = Math.Abs(value);
        if (a >= 1e9) return (value / 1e9).ToString("0.##", inv) + "G";
        if (a >= 1e6) return (value / 1e6).ToString("0.##", inv) + "M";
        if (a >= 1e3) return (value / 1e3).ToString("0.##", inv) + "k";
        if (a >= 1 || a == 0) return value.ToString("0.##", inv);
        return value.ToString("0.###", inv);
    }
}
