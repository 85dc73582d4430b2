using ScottPlot;
using Nsm.Core;

namespace Nsm.Benchmarks;

/// <summary>
/// The pictures of <c>nsm inspect</c> (ScottPlot 5, PNG bytes): heatmaps with a label per row
/// and column (row 0 at the top), and bar and line charts over the slots.
/// </summary>
public static class InspectionCharts
{
    /// <summary>Above this many rows or columns, only every k-th label is drawn so they stay legible.</summary>
    public const int MaxLabels = 64;

    /// <summary>A heatmap of values (rows x columns) on a Viridis scale with a colour bar; NaN cells are blank.</summary>
    public static byte[] Heatmap(string title, double[,] values, IReadOnlyList<string> rowLabels, IReadOnlyList<string> columnLabels, string xLabel, string yLabel, double? max = null)
    {
        var (rows, columns) = (values.GetLength(0), values.GetLength(1));
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(values);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.Rectangle = new CoordinateRect(0, columns, 0, rows);
        if (max is { } m) heatmap.ManualRange = new ScottPlot.Range(0, m);
        plot.Add.ColorBar(heatmap);
        plot.Axes.Bottom.TickGenerator = Ticks(columnLabels, i => i + 0.5);
        plot.Axes.Left.TickGenerator = Ticks(rowLabels, i => rows - i - 0.5);
        plot.Axes.SetLimits(0, columns, 0, rows);
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        var width = Math.Clamp(260 + 14 * columns, 640, 1400);
        var height = Math.Clamp(200 + 14 * rows, 420, 2200);
        return plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);
    }

    /// <summary>One bar per slot (inactive slots drawn grey at their value).</summary>
    public static byte[] SlotBars(string title, IReadOnlyList<double> values, IReadOnlyList<bool> active, string yLabel)
    {
        var plot = new Plot();
        var bars = values.Select((v, j) => new Bar { Position = j, Value = v, FillColor = active[j] ? Colors.SteelBlue : Colors.LightGray }).ToList();
        plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = Ticks(Enumerable.Range(0, values.Count).Select(j => j.ToString()).ToList(), i => i);
        plot.Axes.Margins(bottom: 0);
        plot.Title(title);
        plot.XLabel("slot");
        plot.YLabel(yLabel);
        return plot.GetImageBytes(Charts.Width, 420, ScottPlot.ImageFormat.Png);
    }

    /// <summary>Lines over the slots, one per series.</summary>
    public static byte[] SlotLines(string title, IEnumerable<(string Name, IReadOnlyList<double> Values)> series, string yLabel)
    {
        var plot = new Plot();
        var count = 0;
        foreach (var (name, values) in series)
        {
            var scatter = plot.Add.Scatter(Enumerable.Range(0, values.Count).Select(j => (double)j).ToArray(), values.ToArray());
            scatter.LegendText = name;
            scatter.LineWidth = 2;
            count = values.Count;
        }
        plot.Axes.Bottom.TickGenerator = Ticks(Enumerable.Range(0, count).Select(j => j.ToString()).ToList(), i => i);
        plot.ShowLegend(Alignment.UpperRight);
        plot.Title(title);
        plot.XLabel("slot");
        plot.YLabel(yLabel);
        return plot.GetImageBytes(Charts.Width, 420, ScottPlot.ImageFormat.Png);
    }

    /// <summary>Writes PNG bytes to path through a temporary file.</summary>
    public static void Write(string path, byte[] png) => AtomicFile.Write(path, tmp => File.WriteAllBytes(tmp, png));

    private static ScottPlot.TickGenerators.NumericManual Ticks(IReadOnlyList<string> labels, Func<int, double> position)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        var every = Math.Max(1, (labels.Count + MaxLabels - 1) / MaxLabels);
        for (var i = 0; i < labels.Count; i += every) ticks.AddMajor(position(i), labels[i]);
        return ticks;
    }
}
