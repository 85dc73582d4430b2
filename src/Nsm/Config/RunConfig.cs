using System.Text.Json.Serialization;

namespace Nsm.Config;

/// <summary>A whole run: model, task, training and evaluation settings. Written as config.json beside every run.</summary>
public sealed record RunConfig
{
    [JsonPropertyName("model")]
    public ModelConfig Model { get; init; } = new();

    [JsonPropertyName("task")]
    public TaskConfig Task { get; init; } = new();

    [JsonPropertyName("train")]
    public TrainConfig Train { get; init; } = new();

    [JsonPropertyName("eval")]
    public EvalConfig Eval { get; init; } = new();
}
