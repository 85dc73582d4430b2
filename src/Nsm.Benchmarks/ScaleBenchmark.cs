using System.Text.Json;
using System.Text.Json.Nodes;
using Nsm.Config;
using Nsm.Core;
using Nsm.Registry;

namespace Nsm.Benchmarks;

/// <summary>
/// <c>nsm scale</c>: for each model kind at a matched size, sweeps the sequence length and
/// measures training and inference throughput, peak memory, and per-token generation latency
/// and state size versus context. A measurement that fails (out of memory, over its time
/// budget) is recorded as such, and longer lengths of the same model and mode are recorded as
/// skipped rather than attempted.
/// </summary>
public sealed class ScaleBenchmark
{
    private readonly ScaleOptions options;
    private readonly Func<CellSpec, BenchmarkRecord> runCell;
    private readonly TextWriter log;

    /// <param name="options">What to measure.</param>
    /// <param name="runCell">Runs one measurement: <see cref="ChildProcessRunner.Run"/> (isolated) or <see cref="InProcess"/>.</param>
    /// <param name="log">Progress lines.</param>
    public ScaleBenchmark(ScaleOptions options, Func<CellSpec, BenchmarkRecord> runCell, TextWriter? log = null)
    {
        this.options = options;
        this.runCell = runCell;
        this.log = log ?? TextWriter.Null;
    }

    /// <summary>Runs cells in this process, resetting the peak mark before each (memory_isolation = clear_refs).</summary>
    public static BenchmarkRecord InProcess(CellSpec spec) => CellRunner.Run(spec, "clear_refs");

    /// <summary>The model kinds measured: the requested ones, or every registered kind.</summary>
    public IReadOnlyList<string> Kinds => options.Models.Count > 0 ? options.Models : ModelRegistry.Kinds.ToList();

    /// <summary>A kind's config at the benchmark's size, and whether it runs as a causal model.</summary>
    public sealed record SizedModel(ModelConfig Config, bool Causal);

    /// <summary>
    /// The model config of each kind at the benchmark's size (matched parameters or equal width).
    /// Kinds that cannot be causal (their constructor refuses a causal task) are measured as
    /// bidirectional encoders, and sized on that task shape.
    /// </summary>
    public IReadOnlyDictionary<string, SizedModel> Configs()
    {
        var length = options.Lengths.Concat(options.Contexts).DefaultIfEmpty(1024).Min();
        var spec = CellSpec.LanguageModelSpec(options.VocabSize, length);
        ModelConfig Base(string kind) => ConfigLoader.FromOverrides(new[]
        {
            $"model.kind={kind}", $"model.d_model={options.DModel}", $"model.num_layers={options.NumLayers}", $"model.num_heads={options.NumHeads}",
        }.Concat(options.Overrides)).Model;

        var configs = new Dictionary<string, SizedModel>();
        var target = options.TargetParams;
        if (options.MatchParams && target <= 0)
            target = SizeMatcher.CountParams(Base(options.ReferenceModel), spec);
        foreach (var kind in Kinds)
        {
            var config = Base(kind);
            var causal = BuildsCausal(config, spec);
            var kindSpec = causal ? spec : CellSpec.LanguageModelSpec(options.VocabSize, length, causal: false);
            if (options.MatchParams && (kind != options.ReferenceModel || options.TargetParams > 0))
                config = SizeMatcher.MatchParams(config, kindSpec, target).Config;
            configs[kind] = new SizedModel(config, causal);
        }
        return configs;
    }

    private static bool BuildsCausal(ModelConfig config, TaskSpec causalSpec)
    {
        try
        {
            SizeMatcher.CountParams(config, causalSpec);
            return true;
        }
        catch (ConfigException) when (TryBuild(config, causalSpec with { Causal = false }))
        {
            return false;
        }
    }

    private static bool TryBuild(ModelConfig config, TaskSpec spec)
    {
        try
        {
            SizeMatcher.CountParams(config, spec);
            return true;
        }
        catch (ConfigException)
        {
            return false;
        }
    }

    /// <summary>Every measurement of the sweep, in the order they run.</summary>
    public IEnumerable<CellSpec> Cells(IReadOnlyDictionary<string, SizedModel> configs)
    {
        foreach (var kind in Kinds)
        {
            var common = new CellSpec
            {
                Model = configs[kind].Config, Causal = configs[kind].Causal, Suite = options.Suite, VocabSize = options.VocabSize,
                Warmup = options.Warmup, Repetitions = options.Repetitions, BudgetSeconds = options.BudgetSeconds, PrefillBudgetSeconds = options.PrefillBudgetSeconds,
                Threads = options.Threads, GenerateTokens = options.GenerateTokens, PrefillChunk = options.PrefillChunk,
            };
            foreach (var mode in new[] { ScaleModes.Train, ScaleModes.Infer }.Where(options.Modes.Contains))
                foreach (var n in options.Lengths.Order())
                    yield return common with { Mode = mode, SeqLen = n, BatchSize = Math.Max(1, options.BatchTokens / n) };
            if (options.Modes.Contains(ScaleModes.Generate))
                foreach (var context in options.Contexts.Order())
                    yield return common with { Mode = ScaleModes.Generate, Context = context };
        }
    }

    /// <summary>Runs the sweep and returns one record per cell (including failed and skipped ones).</summary>
    public List<BenchmarkRecord> Run()
    {
        if (options.Threads > 0) TorchSharp.torch.set_num_threads(options.Threads);
        var machine = MachineInfo.Collect();
        log.WriteLine($"machine: {machine.Describe()}");
        var peak = MatmulPeak.Measure(options.PeakMatrixSize);
        log.WriteLine($"measured fp32 matmul peak: {peak / 1e9:F1} GFLOP/s ({options.PeakMatrixSize}^3 sgemm)");
        var configs = Configs();
        var records = new List<BenchmarkRecord>();
        var failedAt = new Dictionary<(string, string), BenchmarkRecord>();
        foreach (var cell in Cells(configs))
        {
            var key = (cell.Model.Kind, cell.Mode);
            BenchmarkRecord record;
            if (failedAt.TryGetValue(key, out var failure))
            {
                var where = failure.SeqLen is { } n ? $"N={n}" : $"context={failure.Context}";
                record = Skeleton(cell) with { Status = MeasurementStatus.Skipped, Note = $"not run: {failure.Status} at {where}" };
            }
            else
            {
                log.Write($"{cell.Describe()} ... ");
                record = runCell(cell);
                log.WriteLine(record.IsOk
                    ? record.Mode == ScaleModes.Generate
                        ? $"{record.LatencyMs:F2} ms/token, state {record.StateBytes / 1024.0:F1} KiB"
                        : $"{record.TokensPerSec:F0} tokens/s, peak +{record.PeakDeltaBytes / (double)(1 << 20):F0} MiB"
                    : $"{record.Status}: {record.Note}");
                if (record.Status is MeasurementStatus.OutOfMemory or MeasurementStatus.Timeout) failedAt[key] = record;
            }
            records.Add(AddContext(record, cell, machine, peak));
        }
        records.Add(PeakRecord(machine, peak));
        return records;
    }

    /// <summary>A record for a cell that was not run, with the cell's identifying fields.</summary>
    public static BenchmarkRecord Skeleton(CellSpec cell) => new()
    {
        Model = cell.Model.Kind,
        Mode = cell.Mode,
        Suite = cell.Suite,
        SeqLen = cell.Mode == ScaleModes.Generate ? null : cell.SeqLen,
        Context = cell.Mode == ScaleModes.Generate ? cell.Context : null,
        BatchSize = cell.Mode == ScaleModes.Generate ? 1 : cell.BatchSize,
    };

    private BenchmarkRecord AddContext(BenchmarkRecord record, CellSpec cell, MachineInfo machine, double peak)
    {
        var config = JsonSerializer.SerializeToNode(cell.Model, ConfigLoader.WriteOptions)!.AsObject();
        record = record with { Machine = machine, Config = config, Command = options.Command };
        if (record.Params is null)
            record = record with { Params = SizeMatcher.CountParams(cell.Model, cell.TaskSpec()) };
        if (cell.Mode == ScaleModes.Generate) return record;
        using var model = ModelRegistry.Create(cell.Model, cell.TaskSpec());
        var flops = FlopCounter.Estimate(model, cell.Model, cell.SeqLen);
        var perToken = cell.Mode == ScaleModes.Train ? flops.Training : flops.Forward;
        record = record with { FlopsPerToken = flops.Forward };
        if (record.TokensPerSec is { } rate)
            record = record with { ModelFlopsPerSec = perToken * rate, Mfu = perToken * rate / peak };
        return record;
    }

    private BenchmarkRecord PeakRecord(MachineInfo machine, double peak) => new()
    {
        Model = "sgemm",
        Mode = "peak",
        Suite = options.Suite,
        SeqLen = options.PeakMatrixSize,
        ModelFlopsPerSec = peak,
        Note = $"fp32 {options.PeakMatrixSize}x{options.PeakMatrixSize} matrix product, fastest of 5",
        Machine = machine,
        Command = options.Command,
    };
}
