using System.Text.Json.Serialization;
using Nsm.Tasks;

namespace Nsm.Training;

/// <summary>Evaluation numbers in summary.json.</summary>
public sealed record EvalSummary(
    [property: JsonPropertyName("loss")] double Loss,
    [property: JsonPropertyName("accuracy")] double? Accuracy,
    [property: JsonPropertyName("perplexity")] double Perplexity,
    [property: JsonPropertyName("bits_per_token")] double BitsPerToken,
    [property: JsonPropertyName("count")] long Count)
{
    /// <summary>Bits per character of the held-out text for text tasks (see <see cref="ITextTask"/>); null otherwise.</summary>
    [JsonPropertyName("bits_per_char"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? BitsPerCharacter { get; init; }
}

/// <summary>What a finished run reports in <c>summary.json</c>.</summary>
public sealed record RunSummary(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("task")] string Task,
    [property: JsonPropertyName("params")] long Params,
    [property: JsonPropertyName("steps")] long Steps,
    [property: JsonPropertyName("train_tokens")] long TrainTokens,
    [property: JsonPropertyName("train_tokens_per_sec")] double TrainTokensPerSec,
    [property: JsonPropertyName("final_train_loss")] double? FinalTrainLoss,
    [property: JsonPropertyName("eval")] EvalSummary Eval,
    [property: JsonPropertyName("wall_seconds")] double WallSeconds,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("device")] string Device)
{
    /// <summary>Per-layer slot statistics at the end of training (the keys of <see cref="Nsm.Models.SlotStatisticKeys"/>), for models with slots.</summary>
    [JsonPropertyName("slot_statistics"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, double>? SlotStatistics { get; init; }

    /// <summary>The number of data-parallel ranks (1 without mpirun).</summary>
    [JsonPropertyName("world_size")]
    public int WorldSize { get; init; } = 1;

    /// <summary>Sequences per optimizer step over all ranks: world_size x train.grad_accum x train.batch_size.</summary>
    [JsonPropertyName("global_batch")]
    public long GlobalBatch { get; init; }

    /// <summary>
    /// With world_size &gt; 1, the mean milliseconds per step in the gradient allreduce (packing,
    /// waiting for the slowest rank, the MPI call, unpacking) over this session's steps; null otherwise.
    /// </summary>
    [JsonPropertyName("allreduce_ms_per_step"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? AllReduceMsPerStep { get; init; }
}
