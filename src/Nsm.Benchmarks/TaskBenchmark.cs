using System.Text.Json;
using System.Text.Json.Nodes;
using Nsm.Checkpoints;
using Nsm.Config;
using Nsm.Core;
using Nsm.Registry;
using Nsm.Training;

namespace Nsm.Benchmarks;

/// <summary>Settings of <c>nsm bench</c>.</summary>
public sealed record BenchOptions
{
    /// <summary>Presets whose task and train sections define the tasks; their model section sets the parameter budget.</summary>
    public IReadOnlyList<string> Presets { get; init; } = ["copy-transformer"];
    /// <summary>Model kinds; empty = every kind in the registry.</summary>
    public IReadOnlyList<string> Models { get; init; } = [];
    public IReadOnlyList<int> Seeds { get; init; } = [1, 2];
    /// <summary>Overrides applied to every run (e.g. train.steps=200, model.d_model=32).</summary>
    public IReadOnlyList<string> Overrides { get; init; } = [];
    /// <summary>Match every kind to the preset model's parameter count (otherwise equal width and depth).</summary>
    public bool MatchParams { get; init; } = true;
    /// <summary>Equal wall-clock budget per run in seconds (train.max_seconds); 0 = equal steps only.</summary>
    public double MaxSeconds { get; init; }
    public string Command { get; init; } = "";

    /// <summary>The smoke version: one seed, tiny widths, a few dozen steps.</summary>
    public static BenchOptions Quick() => new()
    {
        Seeds = [1],
        Overrides = ["model.d_model=32", "train.steps=40", "train.eval_every=20", "train.log_every=10", "train.warmup_steps=5", "task.eval_examples=64"],
    };
}

/// <summary>
/// <c>nsm bench</c>: every task (from presets) x every model kind at an equal parameter budget
/// and an equal training budget (the preset's steps and batch, optionally a wall-clock limit),
/// over several seeds, through the project's Trainer. Reports final metrics per run and their
/// mean and spread per task and model, and plots training curves from metrics.jsonl.
/// </summary>
public sealed class TaskBenchmark(BenchOptions options, TextWriter? log = null)
{
    private readonly TextWriter log = log ?? TextWriter.Null;

    public IReadOnlyList<string> Kinds => options.Models.Count > 0 ? options.Models : ModelRegistry.Kinds.ToList();

    /// <summary>The run config of one (preset, kind, seed).</summary>
    public RunConfig ConfigFor(string preset, string kind, int seed)
    {
        var overrides = options.Overrides.Concat([$"train.seed={seed}"]).ToList();
        if (options.MaxSeconds > 0) overrides.Add($"train.max_seconds={options.MaxSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        var reference = ConfigLoader.LoadPreset(preset, overrides);
        var config = reference.With([$"model.kind={kind}"]);
        if (!options.MatchParams || kind == reference.Model.Kind) return config;
        var spec = TaskRegistry.Create(reference.Task, seed).Spec;
        var target = SizeMatcher.CountParams(reference.Model, spec);
        try
        {
            return config with { Model = SizeMatcher.MatchParams(config.Model, spec, target).Config };
        }
        catch (ConfigException)
        {
            // The kind cannot be built for this task at all; training reports why.
            return config;
        }
    }

    /// <summary>Trains every combination into outDir/runs/PRESET/KIND/seedS and returns per-run and aggregate records.</summary>
    public List<BenchmarkRecord> Run(string outDir)
    {
        var machine = MachineInfo.Collect();
        var records = new List<BenchmarkRecord>();
        foreach (var preset in options.Presets)
        {
            foreach (var kind in Kinds)
            {
                var runs = new List<BenchmarkRecord>();
                foreach (var seed in options.Seeds)
                {
                    var config = ConfigFor(preset, kind, seed);
                    var runDir = Path.Combine(outDir, "runs", preset, kind, $"seed{seed}");
                    if (Directory.Exists(runDir)) Directory.Delete(runDir, recursive: true);
                    log.Write($"{preset} / {kind} / seed {seed} ... ");
                    var record = TrainOne(config, runDir, preset, seed, machine);
                    log.WriteLine(record.IsOk
                        ? $"accuracy {record.Accuracy:P2}, loss {record.Loss:F4}, {record.TokensPerSec:F0} tokens/s"
                        : $"{record.Status}: {record.Note}");
                    runs.Add(record);
                }
                records.AddRange(runs);
                records.Add(Aggregate(runs));
            }
        }
        return records;
    }

    private BenchmarkRecord TrainOne(RunConfig config, string runDir, string preset, int seed, MachineInfo machine)
    {
        var record = new BenchmarkRecord
        {
            Model = config.Model.Kind, Mode = config.Task.Name, Suite = "bench", Seed = seed, RunDir = runDir,
            Machine = machine, Command = options.Command, Note = $"preset {preset}",
            Config = JsonSerializer.SerializeToNode(config, ConfigLoader.WriteOptions)!.AsObject(),
        };
        try
        {
            var summary = new Trainer(config, runDir).Run() ?? throw new InvalidOperationException("training was cancelled");
            record = record with
            {
                Params = summary.Params, Steps = summary.Steps, TrainSeconds = summary.WallSeconds, TokensPerSec = summary.TrainTokensPerSec,
                Loss = summary.Eval.Loss, Accuracy = summary.Eval.Accuracy, Perplexity = summary.Eval.Perplexity, BitsPerToken = summary.Eval.BitsPerToken,
                SeqLen = config.Task.SeqLen, BatchSize = config.Train.BatchSize,
            };
            var (_, task, model) = Checkpoint.LoadModel(runDir);
            using (model)
            {
                if (task.Spec.Output == TaskOutput.Classification)
                    record = record with { F1Macro = ClassificationMetrics.Evaluate(model, task, config.Train.BatchSize, Devices.Resolve(config.Train.Device)).MacroF1 };
            }
            return record;
        }
        catch (ConfigException e)
        {
            // A kind that cannot do the task (e.g. a bidirectional model on a causal task).
            return record with { Status = MeasurementStatus.Unsupported, Note = $"preset {preset}: {e.Message}" };
        }
        catch (TrainingDivergedException e)
        {
            return record with { Status = MeasurementStatus.Error, Note = $"preset {preset}: diverged: {e.Message}" };
        }
        catch (Exception e) when (CellRunner.IsOutOfMemory(e))
        {
            return record with { Status = MeasurementStatus.OutOfMemory, Note = $"preset {preset}: {e.Message.Split('\n')[0]}" };
        }
    }

    /// <summary>Mean and standard deviation over seeds (seed = null, n_seeds = count of successful runs).</summary>
    public static BenchmarkRecord Aggregate(IReadOnlyList<BenchmarkRecord> runs)
    {
        var ok = runs.Where(r => r.IsOk).ToList();
        var first = runs[0];
        var template = first with { Seed = null, RunDir = null, NumSeeds = ok.Count };
        if (ok.Count == 0) return template with { Status = runs[0].Status };
        List<double> Values(Func<BenchmarkRecord, double?> f) => ok.Select(f).Where(v => v is not null && double.IsFinite(v.Value)).Select(v => v!.Value).ToList();
        double? Mean(Func<BenchmarkRecord, double?> f) => Values(f) is { Count: > 0 } v ? v.Average() : null;
        double? Std(Func<BenchmarkRecord, double?> f) => Values(f) is { Count: > 0 } v ? Statistics.StandardDeviation(v) : null;
        return template with
        {
            Status = MeasurementStatus.Ok,
            Note = ok.Count < runs.Count ? $"{runs.Count - ok.Count} of {runs.Count} seeds failed" : first.Note,
            Accuracy = Mean(r => r.Accuracy), AccuracyStd = Std(r => r.Accuracy),
            F1Macro = Mean(r => r.F1Macro), F1MacroStd = Std(r => r.F1Macro),
            Loss = Mean(r => r.Loss), LossStd = Std(r => r.Loss),
            Perplexity = Mean(r => r.Perplexity), BitsPerToken = Mean(r => r.BitsPerToken),
            TokensPerSec = Mean(r => r.TokensPerSec), TrainSeconds = Mean(r => r.TrainSeconds),
            Steps = (long?)Mean(r => r.Steps),
        };
    }

    /// <summary>Per-task training curves (mean over seeds of train loss and eval accuracy per step) from the runs' metrics.jsonl.</summary>
    public static List<(string File, string Caption)> WriteCharts(IReadOnlyList<BenchmarkRecord> records, string dir, string prefix)
    {
        var charts = new List<(string, string)>();
        foreach (var task in records.Where(r => r.Seed is not null && r.RunDir is not null).GroupBy(r => r.Mode))
        {
            foreach (var (split, metric, label) in new[] { ("train", "loss", "training loss"), ("eval", "accuracy", "held-out accuracy") })
            {
                var series = task.GroupBy(r => r.Model).Select(g =>
                {
                    var curve = g.SelectMany(r => ReadMetrics(Path.Combine(r.RunDir!, MetricsLog.FileName), split, metric))
                        .GroupBy(p => p.Step).OrderBy(p => p.Key).Select(p => (Step: (double)p.Key, Value: p.Average(x => x.Value))).ToList();
                    return new ChartSeries(g.Key, curve.Select(p => p.Step).ToList(), curve.Select(p => p.Value).ToList());
                }).ToList();
                if (series.All(s => s.X.Count == 0)) continue;
                var name = $"{prefix}curve-{Slug(task.Key)}-{metric}.png";
                Charts.Line(Path.Combine(dir, name), $"{task.Key}: {label}", "step", label, series);
                charts.Add((name, $"Task {task.Key}: {label} against training step (mean over seeds), from metrics.jsonl."));
            }
        }
        return charts;
    }

    /// <summary>(step, value) of one metric of one split from a metrics.jsonl file.</summary>
    public static IEnumerable<(long Step, double Value)> ReadMetrics(string path, string split, string metric)
    {
        if (!File.Exists(path)) yield break;
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var node = JsonNode.Parse(line);
            if (node?["split"]?.GetValue<string>() != split || node[metric] is not JsonValue value) continue;
            yield return (node["step"]!.GetValue<long>(), value.GetValue<double>());
        }
    }

    public static string Markdown(IReadOnlyList<BenchmarkRecord> records, IReadOnlyList<(string File, string Caption)> charts, string imageDir)
    {
        var text = new System.Text.StringBuilder();
        var aggregates = records.Where(r => r.Suite == "bench" && r.Seed is null).ToList();
        text.AppendLine("Mean ± standard deviation over seeds of the final held-out metrics (accuracy over scored tokens or sequences; loss in nats; bits per token = loss / ln 2).").AppendLine();
        var table = new MarkdownTable("task", "model", "params", "seeds", "steps", "accuracy", "macro F1", "loss", "perplexity", "bits/token", "train tokens/s");
        foreach (var r in aggregates)
            table.Add(r.Mode, r.Model, MarkdownTable.Number(r.Params), $"{r.NumSeeds}", MarkdownTable.Number(r.Steps),
                r.IsOk ? $"{MarkdownTable.Percent(r.Accuracy, 1)} ± {MarkdownTable.Percent(r.AccuracyStd, 1)}" : r.Status,
                r.F1Macro is null ? "–" : $"{MarkdownTable.Number(r.F1Macro, 3)} ± {MarkdownTable.Number(r.F1MacroStd, 3)}",
                r.IsOk ? $"{MarkdownTable.Number(r.Loss, 4)} ± {MarkdownTable.Number(r.LossStd, 4)}" : "–",
                MarkdownTable.Number(r.Perplexity, 3), MarkdownTable.Number(r.BitsPerToken, 3), MarkdownTable.Number(r.TokensPerSec));
        text.AppendLine(table.ToString());
        var failures = records.Where(r => r.Suite == "bench" && r.Seed is not null && !r.IsOk).ToList();
        if (failures.Count > 0)
        {
            text.AppendLine("**Runs that failed** (reported, not dropped):").AppendLine();
            var f = new MarkdownTable("task", "model", "seed", "status", "note");
            foreach (var r in failures) f.Add(r.Mode, r.Model, $"{r.Seed}", r.Status, r.Note ?? "");
            text.AppendLine(f.ToString());
        }
        foreach (var (file, caption) in charts)
            text.AppendLine($"![{caption}]({(imageDir.Length == 0 ? file : imageDir + "/" + file)})").AppendLine().AppendLine($"*{caption}*").AppendLine();
        return text.ToString();
    }

    public static void WriteOutput(string outDir, IReadOnlyList<BenchmarkRecord> records)
    {
        var charts = WriteCharts(records, outDir, "");
        ResultsWriter.Write(outDir, records, "Tasks x models at equal parameter and training budgets", Markdown(records, charts, ""));
    }

    private static string Slug(string text) => new(text.Select(c => char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-').ToArray());
}
