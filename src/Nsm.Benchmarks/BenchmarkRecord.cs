using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Nsm.Core;

namespace Nsm.Benchmarks;

/// <summary>How a measurement ended. Failed measurements are reported, never dropped.</summary>
public static class MeasurementStatus
{
    public const string Ok = "ok";
    /// <summary>Ran past the per-measurement memory cap or the allocator failed.</summary>
    public const string OutOfMemory = "oom";
    /// <summary>Ran past the per-measurement time budget.</summary>
    public const string Timeout = "timeout";
    /// <summary>Not run because the same model already failed at a shorter length.</summary>
    public const string Skipped = "skipped";
    /// <summary>The model cannot do this (e.g. generation without a streaming state).</summary>
    public const string Unsupported = "unsupported";
    /// <summary>Any other failure; the note holds the message.</summary>
    public const string Error = "error";
}

/// <summary>
/// One measurement of <c>results.json</c>. Fields that do not apply to a mode are null and left
/// out of the JSON. Every record carries the machine, versions, commit and the model config,
/// so records from different runs can be pooled.
/// </summary>
public sealed record BenchmarkRecord
{
    /// <summary>Model kind (model.kind).</summary>
    [JsonPropertyName("model")] public string Model { get; init; } = "";
    /// <summary>train, infer, generate, stream, or the task name for nsm bench.</summary>
    [JsonPropertyName("mode")] public string Mode { get; init; } = "";
    /// <summary>Which benchmark made it: scale, layer, bench or stream.</summary>
    [JsonPropertyName("suite")] public string Suite { get; init; } = "";
    [JsonPropertyName("status")] public string Status { get; init; } = MeasurementStatus.Ok;
    [JsonPropertyName("note")] public string? Note { get; init; }

    [JsonPropertyName("seq_len")] public long? SeqLen { get; init; }
    /// <summary>Tokens of context before the timed generation steps (generate mode).</summary>
    [JsonPropertyName("context")] public long? Context { get; init; }
    [JsonPropertyName("batch_size")] public long? BatchSize { get; init; }
    [JsonPropertyName("params")] public long? Params { get; init; }

    /// <summary>Median tokens per second over the repetitions.</summary>
    [JsonPropertyName("tokens_per_sec")] public double? TokensPerSec { get; init; }
    [JsonPropertyName("tokens_per_sec_min")] public double? TokensPerSecMin { get; init; }
    [JsonPropertyName("tokens_per_sec_max")] public double? TokensPerSecMax { get; init; }
    /// <summary>Median seconds of one timed unit (a training step, a forward pass, a generated token).</summary>
    [JsonPropertyName("seconds_median")] public double? SecondsMedian { get; init; }
    /// <summary>(max - min) / median of the repetitions' times.</summary>
    [JsonPropertyName("relative_spread")] public double? RelativeSpread { get; init; }
    [JsonPropertyName("repetitions")] public int? Repetitions { get; init; }
    [JsonPropertyName("warmup")] public int? Warmup { get; init; }

    /// <summary>Peak resident memory of the measuring process (VmHWM).</summary>
    [JsonPropertyName("peak_bytes")] public long? PeakBytes { get; init; }
    /// <summary>Resident memory just before the measured work started (model and inputs built).</summary>
    [JsonPropertyName("baseline_bytes")] public long? BaselineBytes { get; init; }
    /// <summary>peak_bytes - baseline_bytes: what the measured work itself needed.</summary>
    [JsonPropertyName("peak_delta_bytes")] public long? PeakDeltaBytes { get; init; }
    /// <summary>"process" (fresh child process per measurement) or "clear_refs" (peak mark reset in one process).</summary>
    [JsonPropertyName("memory_isolation")] public string? MemoryIsolation { get; init; }

    /// <summary>Bytes of the streaming state (ModelState.ByteSize).</summary>
    [JsonPropertyName("state_bytes")] public long? StateBytes { get; init; }
    /// <summary>Median milliseconds per generated token.</summary>
    [JsonPropertyName("latency_ms")] public double? LatencyMs { get; init; }
    [JsonPropertyName("latency_ms_min")] public double? LatencyMsMin { get; init; }
    [JsonPropertyName("latency_ms_max")] public double? LatencyMsMax { get; init; }
    /// <summary>Tokens streamed so far (stream mode).</summary>
    [JsonPropertyName("tokens")] public long? Tokens { get; init; }
    /// <summary>Resident memory now (stream mode).</summary>
    [JsonPropertyName("rss_bytes")] public long? RssBytes { get; init; }

    /// <summary>(peak at the last checkpoint - peak at the first) / peak at the first (stream summary).</summary>
    [JsonPropertyName("peak_growth")] public double? PeakGrowth { get; init; }

    /// <summary>Analytic forward FLOPs per token (see docs/benchmarks.md for the formulas).</summary>
    [JsonPropertyName("flops_per_token")] public double? FlopsPerToken { get; init; }
    /// <summary>Achieved model FLOP/s: FLOPs per token (x3 for training) times tokens per second.</summary>
    [JsonPropertyName("model_flops_per_sec")] public double? ModelFlopsPerSec { get; init; }
    /// <summary>Model FLOP utilisation: model_flops_per_sec / measured matmul peak.</summary>
    [JsonPropertyName("mfu")] public double? Mfu { get; init; }

    [JsonPropertyName("seed")] public int? Seed { get; init; }
    /// <summary>Number of seeds pooled in an aggregate record (bench).</summary>
    [JsonPropertyName("n_seeds")] public int? NumSeeds { get; init; }
    [JsonPropertyName("steps")] public long? Steps { get; init; }
    [JsonPropertyName("train_seconds")] public double? TrainSeconds { get; init; }
    [JsonPropertyName("accuracy")] public double? Accuracy { get; init; }
    [JsonPropertyName("accuracy_std")] public double? AccuracyStd { get; init; }
    [JsonPropertyName("f1_macro")] public double? F1Macro { get; init; }
    [JsonPropertyName("f1_macro_std")] public double? F1MacroStd { get; init; }
    [JsonPropertyName("loss")] public double? Loss { get; init; }
    [JsonPropertyName("loss_std")] public double? LossStd { get; init; }
    [JsonPropertyName("perplexity")] public double? Perplexity { get; init; }
    [JsonPropertyName("bits_per_token")] public double? BitsPerToken { get; init; }
    /// <summary>Run folder of a bench training run (holds metrics.jsonl).</summary>
    [JsonPropertyName("run_dir")] public string? RunDir { get; init; }

    [JsonPropertyName("machine")] public MachineInfo? Machine { get; init; }
    /// <summary>The command line that produced the record.</summary>
    [JsonPropertyName("command")] public string? Command { get; init; }
    /// <summary>The resolved model config (and for bench the whole run config) of the measurement.</summary>
    [JsonPropertyName("config")] public JsonObject? Config { get; init; }

    [JsonIgnore]
    public bool IsOk => Status == MeasurementStatus.Ok;

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Serialize(IEnumerable<BenchmarkRecord> records) => JsonSerializer.Serialize(records.ToList(), JsonOptions);

    public static List<BenchmarkRecord> Deserialize(string json) =>
        JsonSerializer.Deserialize<List<BenchmarkRecord>>(json, JsonOptions) ?? [];

    /// <summary>Reads a results.json written by <see cref="ResultsWriter"/>.</summary>
    public static List<BenchmarkRecord> Load(string path) => Deserialize(File.ReadAllText(path));
}
