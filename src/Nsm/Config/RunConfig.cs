using System.Text.Json.Serialization;

namespace Nsm.Config;

/// <summary>A whole run: model, task and training settings. Written as config.json beside every run.</summary>
public sealed record RunConfig
{
    [JsonPropertyName("model")]
    public ModelConfig Model { get; init; } = new();

    [JsonPropertyName("task")]
    public TaskConfig Task { get; init; } = new();

    [JsonPropertyName("train")]
    public TrainConfig Train { get; init; } = new();
}
