using System.Text.Json.Serialization;

namespace Nsm.Config;

/// <summary>Options of RWKV-4 (<c>model.kind = "rwkv"</c>); see docs/baselines.md.</summary>
public sealed record RwkvOptions : IOptionsSection
{
    /// <summary>
    /// Chunk length of the chunked training form of the WKV recurrence. Default 0 = automatic (16,
    /// the fastest in a timing of the operator at lengths 32 to 1024 on a 2-core CPU). Changes speed
    /// and memory, not results. Shared with Mamba's selective scan.
    /// </summary>
    [JsonPropertyName("scan_chunk"), ConfigRange(0, 1_000_000)]
    public int ScanChunk { get; init; }

    public void Validate(ModelConfig model) { }
}
