using System.Text.Json;
using System.Text.Json.Serialization;
using Nsm.Config;
using Nsm.Core;

namespace Nsm.Benchmarks;

/// <summary>
/// One speed/memory measurement of <c>nsm scale</c>: a model at a size, a mode (train,
/// infer, generate) and a length. Serialisable, so a fresh child process can run it.
/// </summary>
public sealed record CellSpec
{
    /// <summary>The resolved model config (kind and size).</summary>
    [JsonPropertyName("model")] public ModelConfig Model { get; init; } = new();
    /// <summary>train, infer or generate.</summary>
    [JsonPropertyName("mode")] public string Mode { get; init; } = ScaleModes.Train;
    /// <summary>Benchmark family that asked for it (scale or layer), copied into the record.</summary>
    [JsonPropertyName("suite")] public string Suite { get; init; } = "scale";
    /// <summary>Tokens per sequence (train/infer).</summary>
    [JsonPropertyName("seq_len")] public int SeqLen { get; init; }
    /// <summary>Sequences per batch (train/infer).</summary>
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; } = 1;
    /// <summary>Context tokens consumed before timing generation (generate).</summary>
    [JsonPropertyName("context")] public int Context { get; init; }
    /// <summary>Timed one-token generation steps (generate).</summary>
    [JsonPropertyName("generate_tokens")] public int GenerateTokens { get; init; } = 16;
    /// <summary>Tokens per call when consuming the context (generate).</summary>
    [JsonPropertyName("prefill_chunk")] public int PrefillChunk { get; init; } = 1024;
    /// <summary>
    /// Causal language model (true) or bidirectional per-token encoder (false, for kinds that
    /// have no causal form, e.g. Linformer); bidirectional kinds cannot generate.
    /// </summary>
    [JsonPropertyName("causal")] public bool Causal { get; init; } = true;
    /// <summary>Token vocabulary of the synthetic language-model inputs.</summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 256;
    [JsonPropertyName("warmup")] public int Warmup { get; init; } = 1;
    [JsonPropertyName("repetitions")] public int Repetitions { get; init; } = 3;
    /// <summary>Seconds after which no further repetition starts (the child runner also kills past it).</summary>
    [JsonPropertyName("budget_seconds")] public double BudgetSeconds { get; init; } = 60;
    /// <summary>Seconds allowed for consuming the context before generation (not part of the timed budget).</summary>
    [JsonPropertyName("prefill_budget_seconds")] public double PrefillBudgetSeconds { get; init; } = 180;
    /// <summary>Wall-clock limit of the whole cell: the timed budget with slack, plus the prefill allowance for generation.</summary>
    [JsonIgnore]
    public double HardLimitSeconds => BudgetSeconds * 1.5 + (Mode == ScaleModes.Generate ? PrefillBudgetSeconds : 0);
    /// <summary>libtorch intra-op threads; 0 keeps the default.</summary>
    [JsonPropertyName("threads")] public int Threads { get; init; }
    [JsonPropertyName("seed")] public int Seed { get; init; } = 1;

    /// <summary>Longest sequence the model must accept for this cell (models with fixed-size parts need it).</summary>
    [JsonIgnore]
    public int MaxLength => Mode == ScaleModes.Generate ? Context + GenerateTokens + Warmup : SeqLen;

    /// <summary>The causal language-model task shape the cell's model is built for.</summary>
    public TaskSpec TaskSpec() => LanguageModelSpec(VocabSize, MaxLength, Causal);

    /// <summary>Per-token prediction over a vocabulary: a causal language model, or a bidirectional encoder.</summary>
    public static TaskSpec LanguageModelSpec(int vocab, int maxLength, bool causal = true) =>
        new(vocab, 0, TaskOutput.PerToken, vocab, causal, Math.Max(1, maxLength));

    /// <summary>Short text for progress lines: "transformer train N=4096 B=2".</summary>
    public string Describe() => Mode == ScaleModes.Generate
        ? $"{Model.Kind} {Mode} context={Context}"
        : $"{Model.Kind} {Mode} N={SeqLen} B={BatchSize}";

    public static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static CellSpec FromJson(string json) =>
        JsonSerializer.Deserialize<CellSpec>(json, JsonOptions) ?? throw new InvalidDataException("empty cell spec");
}

/// <summary>Modes of the scaling benchmark.</summary>
public static class ScaleModes
{
    /// <summary>Forward + loss + backward + clipping + AdamW step.</summary>
    public const string Train = "train";
    /// <summary>Forward pass without gradients.</summary>
    public const string Infer = "infer";
    /// <summary>One-token streaming steps after a context.</summary>
    public const string Generate = "generate";

    public static readonly IReadOnlyList<string> All = [Train, Infer, Generate];
}
