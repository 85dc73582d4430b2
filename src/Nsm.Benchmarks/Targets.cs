namespace Nsm.Benchmarks;

/// <summary>One benchmark target: what was asked, what was measured, and whether it was met.</summary>
/// <param name="Name">Short name.</param>
/// <param name="Goal">The target as stated in the issues.</param>
/// <param name="Measured">The measured numbers it was judged on.</param>
/// <param name="Status">met, missed, or not measured.</param>
public sealed record TargetResult(string Name, string Goal, string Measured, string Status);

/// <summary>
/// Judges the performance targets of issues 3 and 6 from benchmark records: NSM against the
/// Transformer at equal size (scale suite) and at one layer (layer suite), and 1M-token streaming.
/// </summary>
public static class Targets
{
    public const string Met = "met";
    public const string Missed = "missed";
    public const string NotMeasured = "not measured";

    public static List<TargetResult> Evaluate(IReadOnlyList<BenchmarkRecord> records, string candidate = "nsm", string baseline = "transformer")
    {
        var results = new List<TargetResult>();
        var scale = records.Where(r => r.Suite == "scale").ToList();
        var layer = records.Where(r => r.Suite == "layer").ToList();
        results.Add(BreakEven(scale, candidate, baseline, 1024));
        results.Add(SpeedupAt(scale, candidate, baseline, 16384, 3, "training throughput at 16k tokens (full models, equal parameters)"));
        results.Add(LatencyRatio(scale, candidate, baseline, 65536, 10));
        results.Add(FlatState(scale, candidate, "generation state memory flat (full model)"));
        results.Add(StreamGrowth(records, candidate, 0.05));
        results.Add(SpeedupAt(layer, candidate, baseline, 16384, 2, "one layer trains faster at 16k tokens (equal width)"));
        results.Add(FlatState(layer, candidate, "one layer: generation state memory flat"));
        return results;
    }

    private static BenchmarkRecord? Find(List<BenchmarkRecord> records, string model, string mode, long? seqLen = null, long? context = null) =>
        records.FirstOrDefault(r => r.Model == model && r.Mode == mode && (seqLen is null || r.SeqLen == seqLen) && (context is null || r.Context == context));

    private static string Rate(BenchmarkRecord? r) => r is null ? "not run" : r.IsOk ? $"{r.TokensPerSec:N0} tokens/s" : r.Status;

    /// <summary>Smallest swept length from which the candidate trains at least as fast as the baseline at every longer length.</summary>
    public static TargetResult BreakEven(List<BenchmarkRecord> records, string candidate, string baseline, long goal)
    {
        var name = $"training break-even length ≤ {goal:N0} tokens";
        var lengths = records.Where(r => r.Mode == ScaleModes.Train && r.SeqLen is not null).Select(r => r.SeqLen!.Value).Distinct().Order().ToList();
        var wins = new List<(long N, bool? Win, string Text)>();
        foreach (var n in lengths)
        {
            var c = Find(records, candidate, ScaleModes.Train, n);
            var b = Find(records, baseline, ScaleModes.Train, n);
            bool? win = c is { IsOk: true } && b is { IsOk: true } ? c.TokensPerSec >= b.TokensPerSec
                : c is { IsOk: true } && b is not null && !b.IsOk ? true
                : c is not null && !c.IsOk && b is { IsOk: true } ? false : null;
            wins.Add((n, win, $"N={n:N0}: {Rate(c)} vs {Rate(b)}"));
        }
        var measured = string.Join("; ", wins.Select(w => w.Text));
        if (wins.All(w => w.Win is null)) return new(name, $"{candidate} trains at least as fast as {baseline} from N ≤ {goal:N0}", measured.Length == 0 ? "no train records of both models" : measured, NotMeasured);
        var breakEven = wins.Select((w, i) => (w.N, From: wins.Skip(i).All(x => x.Win != false) && w.Win == true)).FirstOrDefault(x => x.From).N;
        var status = breakEven > 0 && breakEven <= goal ? Met : Missed;
        var verdict = breakEven > 0 ? $"break-even at N ≤ {breakEven:N0}" : "no break-even within the swept lengths";
        return new(name, $"{candidate} trains at least as fast as {baseline} from N ≤ {goal:N0}", $"{verdict} ({measured})", status);
    }

    public static TargetResult SpeedupAt(List<BenchmarkRecord> records, string candidate, string baseline, long n, double factor, string what)
    {
        var name = $"≥ {factor:G}x {what}";
        var c = Find(records, candidate, ScaleModes.Train, n);
        var b = Find(records, baseline, ScaleModes.Train, n);
        if (c is not { IsOk: true } || b is not { IsOk: true })
            return new(name, $"{candidate} / {baseline} tokens/s ≥ {factor:G} at N={n:N0}", $"{candidate}: {Rate(c)}; {baseline}: {Rate(b)}", NotMeasured);
        var ratio = c.TokensPerSec!.Value / b.TokensPerSec!.Value;
        return new(name, $"{candidate} / {baseline} tokens/s ≥ {factor:G} at N={n:N0}",
            $"{ratio:F2}x ({c.TokensPerSec:N0} vs {b.TokensPerSec:N0} tokens/s)", ratio >= factor ? Met : Missed);
    }

    public static TargetResult LatencyRatio(List<BenchmarkRecord> records, string candidate, string baseline, long context, double factor)
    {
        var name = $"generation latency at {context / 1024}k context ≥ {factor:G}x lower";
        var c = Find(records, candidate, ScaleModes.Generate, context: context);
        var b = Find(records, baseline, ScaleModes.Generate, context: context);
        string Latency(BenchmarkRecord? r) => r is null ? "not run" : r.IsOk ? $"{r.LatencyMs:F2} ms/token" : r.Status;
        if (c is not { IsOk: true } || b is not { IsOk: true })
            return new(name, $"{baseline} / {candidate} ms per token ≥ {factor:G}", $"{candidate}: {Latency(c)}; {baseline}: {Latency(b)}", NotMeasured);
        var ratio = b.LatencyMs!.Value / c.LatencyMs!.Value;
        return new(name, $"{baseline} / {candidate} ms per token ≥ {factor:G}", $"{ratio:F2}x ({Latency(c)} vs {Latency(b)})", ratio >= factor ? Met : Missed);
    }

    /// <summary>The candidate's state bytes are the same (within 1%) at every context measured.</summary>
    public static TargetResult FlatState(List<BenchmarkRecord> records, string candidate, string name)
    {
        var states = records.Where(r => r.Model == candidate && r.Mode == ScaleModes.Generate && r.IsOk && r.StateBytes is not null)
            .OrderBy(r => r.Context).ToList();
        if (states.Count < 2) return new(name, "state bytes independent of the context", $"{states.Count} successful generation measurements", NotMeasured);
        var min = states.Min(r => r.StateBytes!.Value);
        var max = states.Max(r => r.StateBytes!.Value);
        var text = string.Join(", ", states.Select(r => $"{r.Context:N0}: {r.StateBytes / 1024.0:N1} KiB"));
        return new(name, "state bytes independent of the context", text, max <= min * 1.01 ? Met : Missed);
    }

    public static TargetResult StreamGrowth(IReadOnlyList<BenchmarkRecord> records, string candidate, double limit)
    {
        var name = $"1M-token streaming: peak memory growth < {limit * 100:G}%";
        var summary = records.LastOrDefault(r => r.Suite == "stream" && r.Model == candidate && r.PeakGrowth is not null);
        if (summary is null) return new(name, $"peak RSS growth from the first checkpoint to the last < {limit * 100:G}%", $"no stream run of {candidate}", NotMeasured);
        var text = $"{summary.PeakGrowth:P2} over {summary.Tokens:N0} tokens ({MarkdownTable.MiB(records.First(r => r.Suite == "stream" && r.Model == candidate && r.Tokens is not null).PeakBytes)} → {MarkdownTable.MiB(summary.PeakBytes)} MiB)";
        var complete = summary.IsOk && summary.Tokens >= 1_000_000;
        return new(name, $"peak RSS growth from 100k to 1M tokens < {limit * 100:G}%", complete ? text : $"{text}; {summary.Status}: {summary.Note}",
            !complete ? NotMeasured : summary.PeakGrowth < limit ? Met : Missed);
    }

    public static string Markdown(IReadOnlyList<TargetResult> targets)
    {
        var table = new MarkdownTable("target", "goal", "measured", "status");
        foreach (var t in targets) table.Add(t.Name, t.Goal, t.Measured, t.Status == Met ? "**met**" : t.Status == Missed ? "**missed**" : t.Status);
        return table.ToString();
    }
}
