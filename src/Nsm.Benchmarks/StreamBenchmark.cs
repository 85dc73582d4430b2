using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Models;
using Nsm.Registry;

namespace Nsm.Benchmarks;

/// <summary>Settings of <c>nsm stream</c>.</summary>
public sealed record StreamOptions
{
    public string Model { get; init; } = "nsm";
    public int DModel { get; init; } = 128;
    public int NumLayers { get; init; } = 2;
    public int NumHeads { get; init; } = 4;
    public IReadOnlyList<string> Overrides { get; init; } = [];
    public int VocabSize { get; init; } = 256;
    /// <summary>Tokens pushed through in total.</summary>
    public long TotalTokens { get; init; } = 1_000_000;
    /// <summary>Tokens per Forward call.</summary>
    public int PieceTokens { get; init; } = 2048;
    /// <summary>Record memory every this many tokens.</summary>
    public long RecordEvery { get; init; } = 100_000;
    /// <summary>Stop (status timeout) after this many seconds.</summary>
    public double BudgetSeconds { get; init; } = 600;
    public int Threads { get; init; }
    public string Command { get; init; } = "";

    /// <summary>Seconds-long version for tests: tiny model, 4,096 tokens.</summary>
    public static StreamOptions Quick(string model) => new()
    {
        Model = model, DModel = 32, NumLayers = 2, VocabSize = 32, TotalTokens = 4096, PieceTokens = 256, RecordEvery = 1024, BudgetSeconds = 60,
    };
}

/// <summary>
/// <c>nsm stream</c>: pushes many tokens through a streaming model in pieces (batch 1, no
/// gradients, random weights: memory behaviour does not depend on training) and records the
/// resident memory, its peak and the state size at fixed token counts. A model whose state
/// is bounded keeps all three flat; a Transformer's KV cache grows linearly.
/// </summary>
public static class StreamBenchmark
{
    public static List<BenchmarkRecord> Run(StreamOptions options, TextWriter? log = null)
    {
        log ??= TextWriter.Null;
        if (options.Threads > 0) torch.set_num_threads(options.Threads);
        torch.manual_seed(1);
        var machine = MachineInfo.Collect();
        var config = ConfigLoader.FromOverrides(new[]
        {
            $"model.kind={options.Model}", $"model.d_model={options.DModel}", $"model.num_layers={options.NumLayers}", $"model.num_heads={options.NumHeads}",
        }.Concat(options.Overrides)).Model;
        var spec = CellSpec.LanguageModelSpec(options.VocabSize, (int)Math.Min(int.MaxValue, options.TotalTokens));
        using var model = ModelRegistry.Create(config, spec);
        var template = new BenchmarkRecord
        {
            Model = options.Model, Mode = "stream", Suite = "stream", Params = model.ParameterCount(), BatchSize = 1,
            SeqLen = options.PieceTokens, MemoryIsolation = "clear_refs", Machine = machine, Command = options.Command,
            Config = JsonSerializer.SerializeToNode(config, ConfigLoader.WriteOptions)!.AsObject(),
        };
        if (model is not IStreamingModel streaming)
            return [template with { Status = MeasurementStatus.Unsupported, Note = $"{options.Model} has no streaming state (IStreamingModel)" }];

        model.eval();
        using var noGrad = no_grad();
        var state = streaming.InitialState(1);
        ProcessMemory.ResetPeak();
        var baseline = ProcessMemory.Read().ResidentBytes;
        var records = new List<BenchmarkRecord>();
        var clock = Stopwatch.StartNew();
        var interval = Stopwatch.StartNew();
        long done = 0, lastRecorded = 0;
        var nextRecord = options.RecordEvery;
        var status = MeasurementStatus.Ok;
        while (done < options.TotalTokens)
        {
            var n = (int)Math.Min(options.PieceTokens, options.TotalTokens - done);
            using (var scope = NewDisposeScope())
            {
                var piece = randint(0, options.VocabSize, [1, n], dtype: ScalarType.Int64);
                var (_, next) = streaming.Forward(piece, state);
                var kept = next.Tensors.Values.Select(t => t.Handle).ToHashSet();
                foreach (var t in state.Tensors.Values)
                    if (!kept.Contains(t.Handle)) t.Dispose();
                state = next.MoveToOuterDisposeScope();
            }
            done += n;
            if (done >= nextRecord || done == options.TotalTokens)
            {
                var memory = ProcessMemory.Read();
                var record = template with
                {
                    Tokens = done, RssBytes = memory.ResidentBytes, PeakBytes = memory.PeakBytes, BaselineBytes = baseline,
                    PeakDeltaBytes = memory.PeakBytes - baseline, StateBytes = state.ByteSize,
                    TokensPerSec = (done - lastRecorded) / interval.Elapsed.TotalSeconds,
                };
                records.Add(record);
                log.WriteLine($"{done,10:N0} tokens: RSS {memory.ResidentBytes / (double)(1 << 20):F1} MiB, peak {memory.PeakBytes / (double)(1 << 20):F1} MiB, state {state.ByteSize / 1024.0:F1} KiB, {record.TokensPerSec:F0} tokens/s");
                lastRecorded = done;
                interval.Restart();
                while (nextRecord <= done) nextRecord += options.RecordEvery;
            }
            if (clock.Elapsed.TotalSeconds > options.BudgetSeconds && done < options.TotalTokens)
            {
                status = MeasurementStatus.Timeout;
                break;
            }
        }
        state.Dispose();
        var first = records.First();
        var last = records.Last();
        records.Add(template with
        {
            Status = status,
            Note = status == MeasurementStatus.Ok ? "summary" : $"summary: stopped at {done:N0} of {options.TotalTokens:N0} tokens after the {options.BudgetSeconds:F0} s budget",
            Tokens = done, RssBytes = last.RssBytes, PeakBytes = last.PeakBytes, BaselineBytes = baseline, PeakDeltaBytes = last.PeakDeltaBytes,
            StateBytes = last.StateBytes, TokensPerSec = done / clock.Elapsed.TotalSeconds,
            PeakGrowth = (last.PeakBytes - first.PeakBytes) / (double)first.PeakBytes!.Value,
        });
        return records;
    }

    /// <summary>The summary record (the last one) of a stream run.</summary>
    public static BenchmarkRecord? Summary(IEnumerable<BenchmarkRecord> records) =>
        records.LastOrDefault(r => r.Suite == "stream" && r.PeakGrowth is not null);

    /// <summary>Writes results.json, report.md and the memory chart of a stream run.</summary>
    public static void WriteOutput(string outDir, IReadOnlyList<BenchmarkRecord> records)
    {
        Directory.CreateDirectory(outDir);
        var charts = WriteCharts(records, outDir, "stream-");
        ResultsWriter.Write(outDir, records, "Streaming memory", Markdown(records, charts, ""));
    }

    public static List<(string File, string Caption)> WriteCharts(IReadOnlyList<BenchmarkRecord> records, string dir, string prefix)
    {
        var points = records.Where(r => r.Suite == "stream" && r.PeakGrowth is null && r.Tokens is not null).ToList();
        if (points.Count == 0) return [];
        var name = $"{prefix}memory.png";
        var series = points.GroupBy(r => r.Model).SelectMany(g => new[]
        {
            new ChartSeries($"{g.Key} resident (RSS)", g.Select(r => (double)r.Tokens!.Value).ToList(), g.Select(r => r.RssBytes!.Value / (double)(1 << 20)).ToList()),
            new ChartSeries($"{g.Key} peak (VmHWM)", g.Select(r => (double)r.Tokens!.Value).ToList(), g.Select(r => r.PeakBytes!.Value / (double)(1 << 20)).ToList()),
            new ChartSeries($"{g.Key} state", g.Select(r => (double)r.Tokens!.Value).ToList(), g.Select(r => r.StateBytes!.Value / (double)(1 << 20)).ToList()),
        });
        Charts.Line(Path.Combine(dir, name), "Memory while streaming", "tokens streamed", "MiB", series);
        return [(name, "Process memory and streaming-state size while tokens stream through (batch 1).")];
    }

    public static string Markdown(IReadOnlyList<BenchmarkRecord> records, IReadOnlyList<(string File, string Caption)> charts, string imageDir)
    {
        var text = new System.Text.StringBuilder();
        var table = new MarkdownTable("model", "tokens", "RSS MiB", "peak MiB", "state KiB", "tokens/s (interval)");
        foreach (var r in records.Where(r => r.Suite == "stream" && r.PeakGrowth is null && r.Tokens is not null))
            table.Add(r.Model, MarkdownTable.Number(r.Tokens), MarkdownTable.MiB(r.RssBytes), MarkdownTable.MiB(r.PeakBytes),
                MarkdownTable.Number(r.StateBytes / 1024.0, 1), MarkdownTable.Number(r.TokensPerSec));
        text.AppendLine(table.ToString());
        foreach (var s in records.Where(r => r.Suite == "stream" && (r.PeakGrowth is not null || r.Status != MeasurementStatus.Ok)))
        {
            text.AppendLine(s.PeakGrowth is { } g
                ? $"**{s.Model}**: {s.Tokens:N0} tokens in pieces of {s.SeqLen:N0}, {MarkdownTable.Number(s.TokensPerSec)} tokens/s overall; peak memory grew {MarkdownTable.Percent(g, 2)} between the first checkpoint and the last; state {MarkdownTable.Number(s.StateBytes / 1024.0, 1)} KiB at the end. Status: {s.Status}{(s.Note is { } note && note != "summary" ? $" ({note})" : "")}."
                : $"**{s.Model}**: {s.Status}: {s.Note}");
            text.AppendLine();
        }
        foreach (var (file, caption) in charts)
            text.AppendLine($"![{caption}]({(imageDir.Length == 0 ? file : imageDir + "/" + file)})").AppendLine().AppendLine($"*{caption}*").AppendLine();
        return text.ToString();
    }
}
