using System.Text;
using Nsm.Core;

namespace Nsm.Benchmarks;

/// <summary>Markdown tables, log-log slopes and charts of <c>nsm scale</c> / layer results.</summary>
public static class ScaleReport
{
    /// <summary>Writes results.json, report.md and the charts of a scale or layer run into outDir.</summary>
    public static void WriteOutput(string outDir, IReadOnlyList<BenchmarkRecord> records, string suite)
    {
        Directory.CreateDirectory(outDir);
        var charts = WriteCharts(records, outDir, "");
        var title = suite == "layer" ? "One NSM layer vs one Transformer layer" : "Scaling with sequence length";
        ResultsWriter.Write(outDir, records, title, Markdown(records, charts, ""));
    }

    /// <summary>Log-log slopes of one model and mode: time and memory per sequence against length.</summary>
    /// <param name="Model">Model kind.</param>
    /// <param name="Mode">train or infer.</param>
    /// <param name="TimeAll">Slope of seconds per sequence over all successful lengths.</param>
    /// <param name="TimeTail">The same over the three longest successful lengths.</param>
    /// <param name="MemoryAll">Slope of peak memory above baseline per sequence over all lengths.</param>
    /// <param name="MemoryTail">The same over the three longest lengths.</param>
    public sealed record Slopes(string Model, string Mode, LineFit? TimeAll, LineFit? TimeTail, LineFit? MemoryAll, LineFit? MemoryTail);

    /// <summary>Seconds to process one sequence: tokens / (tokens/s).</summary>
    public static double SecondsPerSequence(BenchmarkRecord r) => r.SeqLen!.Value / r.TokensPerSec!.Value;

    /// <summary>Peak memory above baseline per sequence of the batch.</summary>
    public static double MemoryPerSequence(BenchmarkRecord r) => (r.PeakDeltaBytes ?? 0) / (double)Math.Max(1, r.BatchSize ?? 1);

    public static List<Slopes> FitSlopes(IReadOnlyList<BenchmarkRecord> records)
    {
        var result = new List<Slopes>();
        foreach (var group in Sweep(records).GroupBy(r => (r.Model, r.Mode)))
        {
            var ok = group.Where(r => r.IsOk && r.TokensPerSec > 0).OrderBy(r => r.SeqLen).ToList();
            var tail = ok.TakeLast(3).ToList();
            LineFit? Fit(List<BenchmarkRecord> rs, Func<BenchmarkRecord, double> y) =>
                Statistics.FitLogLog(rs.Select(r => (double)r.SeqLen!.Value).ToList(), rs.Select(y).ToList());
            result.Add(new Slopes(group.Key.Model, group.Key.Mode,
                Fit(ok, SecondsPerSequence), Fit(tail, SecondsPerSequence),
                Fit(ok, MemoryPerSequence), Fit(tail, MemoryPerSequence)));
        }
        return result;
    }

    /// <summary>Train/infer records of a sweep.</summary>
    public static IEnumerable<BenchmarkRecord> Sweep(IEnumerable<BenchmarkRecord> records) =>
        records.Where(r => r.Mode is ScaleModes.Train or ScaleModes.Infer && r.SeqLen is not null);

    public static IEnumerable<BenchmarkRecord> Generation(IEnumerable<BenchmarkRecord> records) =>
        records.Where(r => r.Mode == ScaleModes.Generate);

    /// <summary>Writes the charts into dir and returns (file name, caption) pairs.</summary>
    public static List<(string File, string Caption)> WriteCharts(IReadOnlyList<BenchmarkRecord> records, string dir, string prefix)
    {
        var charts = new List<(string, string)>();
        foreach (var mode in new[] { ScaleModes.Train, ScaleModes.Infer })
        {
            var rs = Sweep(records).Where(r => r.Mode == mode).ToList();
            if (rs.Count == 0) continue;
            var name = $"{prefix}throughput-{mode}.png";
            Charts.Line(Path.Combine(dir, name), $"{Title(mode)} throughput vs sequence length", "sequence length (tokens)", "tokens / s",
                SeriesOf(rs, r => r.SeqLen!.Value, r => r.TokensPerSec), logX: true, logY: true);
            charts.Add((name, $"{Title(mode)} tokens/s against sequence length (log-log)."));
            name = $"{prefix}memory-{mode}.png";
            Charts.Line(Path.Combine(dir, name), $"{Title(mode)} peak memory per sequence vs length", "sequence length (tokens)", "MiB above baseline per sequence",
                SeriesOf(rs, r => r.SeqLen!.Value, r => r.IsOk ? MemoryPerSequence(r) / (1 << 20) : null), logX: true, logY: true);
            charts.Add((name, $"{Title(mode)}: peak resident memory above the pre-measurement baseline, per sequence of the batch (log-log)."));
        }
        var gen = Generation(records).ToList();
        if (gen.Count > 0)
        {
            var name = $"{prefix}generation-latency.png";
            Charts.Line(Path.Combine(dir, name), "Generation latency vs context", "context (tokens)", "ms per generated token",
                SeriesOf(gen, r => r.Context!.Value, r => r.LatencyMs), logX: true, logY: true);
            charts.Add((name, "Per-token generation latency (batch 1) after a context of the given length (log-log)."));
            name = $"{prefix}generation-state.png";
            Charts.Line(Path.Combine(dir, name), "Streaming state memory vs context", "context (tokens)", "state KiB",
                SeriesOf(gen, r => r.Context!.Value, r => r.IsOk ? r.StateBytes / 1024.0 : null), logX: true, logY: true);
            charts.Add((name, "Bytes of the streaming state (ModelState.ByteSize) after the context (log-log); the Transformer's is its KV cache."));
        }
        return charts;
    }

    private static IEnumerable<ChartSeries> SeriesOf(IEnumerable<BenchmarkRecord> records, Func<BenchmarkRecord, long> x, Func<BenchmarkRecord, double?> y) =>
        records.GroupBy(r => r.Model).Select(g =>
        {
            var points = g.Where(r => r.IsOk && y(r) is not null).OrderBy(x).ToList();
            return new ChartSeries(g.Key, points.Select(r => (double)x(r)).ToList(), points.Select(r => y(r)!.Value).ToList());
        });

    private static string Title(string mode) => mode == ScaleModes.Train ? "Training" : "Inference";

    /// <summary>The Markdown body (tables and slopes) of a scale or layer run; images referenced under imageDir.</summary>
    public static string Markdown(IReadOnlyList<BenchmarkRecord> records, IReadOnlyList<(string File, string Caption)> charts, string imageDir)
    {
        var text = new StringBuilder();
        var models = records.Where(r => r.Mode != "peak").Select(r => r.Model).Distinct().ToList();
        var peak = records.FirstOrDefault(r => r.Mode == "peak");

        text.AppendLine(SizeTable(records, models).ToString());
        foreach (var mode in new[] { ScaleModes.Train, ScaleModes.Infer })
        {
            var rs = Sweep(records).Where(r => r.Mode == mode).ToList();
            if (rs.Count == 0) continue;
            var lengths = rs.Select(r => r.SeqLen!.Value).Distinct().Order().ToList();
            text.AppendLine($"**{Title(mode)} tokens/s** (median of the repetitions; ± is (max − min) / median; batch = max(1, batch tokens / N)):").AppendLine();
            var table = new MarkdownTable(["model", .. lengths.Select(n => $"N={n:N0}")]);
            foreach (var m in models)
                table.Add([m, .. lengths.Select(n => Cell(rs.FirstOrDefault(r => r.Model == m && r.SeqLen == n), r => $"{MarkdownTable.Number(r.TokensPerSec)} ±{MarkdownTable.Percent(r.RelativeSpread)}"))]);
            text.AppendLine(table.ToString());
            text.AppendLine($"**{Title(mode)} peak memory** (MiB: process peak VmHWM / above the pre-measurement baseline):").AppendLine();
            table = new MarkdownTable(["model", .. lengths.Select(n => $"N={n:N0}")]);
            foreach (var m in models)
                table.Add([m, .. lengths.Select(n => Cell(rs.FirstOrDefault(r => r.Model == m && r.SeqLen == n), r => $"{MarkdownTable.MiB(r.PeakBytes)} / +{MarkdownTable.MiB(r.PeakDeltaBytes)}"))]);
            text.AppendLine(table.ToString());
            if (peak is not null)
            {
                text.AppendLine($"**{Title(mode)} FLOPs and model FLOP utilisation** (analytic FLOPs per token{(mode == ScaleModes.Train ? " x3 for forward+backward" : "")} x tokens/s ÷ measured sgemm peak {peak.ModelFlopsPerSec / 1e9:F1} GFLOP/s):").AppendLine();
                table = new MarkdownTable(["model", .. lengths.Select(n => $"N={n:N0}")]);
                foreach (var m in models)
                    table.Add([m, .. lengths.Select(n => rs.FirstOrDefault(r => r.Model == m && r.SeqLen == n) is { FlopsPerToken: { } f } r
                        ? $"{f / 1e6:N2} MFLOP/token, MFU {MarkdownTable.Percent(r.Mfu, 1)}" : "–")]);
                text.AppendLine(table.ToString());
            }
        }

        var gen = Generation(records).ToList();
        if (gen.Count > 0)
        {
            var contexts = gen.Select(r => r.Context!.Value).Distinct().Order().ToList();
            text.AppendLine("**Generation** (batch 1, greedy; median ms per token after the context / streaming state size):").AppendLine();
            var table = new MarkdownTable(["model", .. contexts.Select(c => $"context {c:N0}")]);
            foreach (var m in models)
                table.Add([m, .. contexts.Select(c => Cell(gen.FirstOrDefault(r => r.Model == m && r.Context == c), r => $"{MarkdownTable.Number(r.LatencyMs, 2)} ms, {MarkdownTable.Bytes(r.StateBytes)}"))]);
            text.AppendLine(table.ToString());
        }

        var slopes = FitSlopes(records);
        if (slopes.Count > 0)
        {
            text.AppendLine("**Log-log slopes** against N (time and peak memory above baseline, per sequence; 1 = linear, 2 = quadratic; \"tail\" = the three longest lengths that ran):").AppendLine();
            var table = new MarkdownTable("model", "mode", "time slope (all)", "time slope (tail)", "memory slope (all)", "memory slope (tail)");
            foreach (var s in slopes)
                table.Add(s.Model, s.Mode, Slope(s.TimeAll), Slope(s.TimeTail), Slope(s.MemoryAll), Slope(s.MemoryTail));
            text.AppendLine(table.ToString());
        }

        var failures = records.Where(r => !r.IsOk && r.Mode != "peak").ToList();
        if (failures.Count > 0)
        {
            text.AppendLine("**Measurements that did not complete** (reported, not dropped):").AppendLine();
            var table = new MarkdownTable("model", "mode", "length / context", "status", "note");
            foreach (var r in failures) table.Add(r.Model, r.Mode, $"{r.SeqLen ?? r.Context:N0}", r.Status, r.Note ?? "");
            text.AppendLine(table.ToString());
        }

        foreach (var (file, caption) in charts)
            text.AppendLine($"![{caption}]({(imageDir.Length == 0 ? file : imageDir + "/" + file)})").AppendLine().AppendLine($"*{caption}*").AppendLine();
        return text.ToString();
    }

    private static MarkdownTable SizeTable(IReadOnlyList<BenchmarkRecord> records, List<string> models)
    {
        var table = new MarkdownTable("model", "parameters", "d_model", "layers", "heads", "FLOP formula");
        foreach (var m in models)
        {
            var r = records.First(x => x.Model == m);
            var c = r.Config;
            table.Add(m, MarkdownTable.Number(r.Params), $"{c?["d_model"]}", $"{c?["num_layers"]}", $"{c?["num_heads"]}",
                FlopCounter.Formulas.TryGetValue(m, out var f) ? f : "dense weights only");
        }
        return table;
    }

    private static string Cell(BenchmarkRecord? r, Func<BenchmarkRecord, string> ok) =>
        r is null ? "–" : r.IsOk ? ok(r) : r.Status;

    private static string Slope(LineFit? fit) => fit is null ? "–" : $"{fit.Slope:F2} (R² {fit.RSquared:F2}, {fit.Points} pts)";
}
