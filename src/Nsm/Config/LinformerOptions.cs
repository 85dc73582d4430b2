using System.Text.Json.Serialization;

namespace Nsm.Config;

/// <summary>Options of the Linformer (<c>model.kind = "linformer"</c>, bidirectional); see docs/baselines.md.</summary>
public sealed record LinformerOptions : IOptionsSection
{
    /// <summary>Projected length k of the keys and values (the low rank). Default 64.</summary>
    [JsonPropertyName("linformer_k"), ConfigRange(1, 65536)]
    public int LinformerK { get; init; } = 64;

    public void Validate(ModelConfig model) => ConfigRules.HeadsDivideWidth(model, rotary: false);
}
