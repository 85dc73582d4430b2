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

    /// <summary>The sections by their JSON names, in file order: the one list that loading, range checks and warnings walk.</summary>
    internal IReadOnlyList<(string Name, object Value)> Sections() => [("model", Model), ("task", Task), ("train", Train), ("eval", Eval)];
}
