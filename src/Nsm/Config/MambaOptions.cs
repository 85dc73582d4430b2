using System.Text.Json.Serialization;

namespace Nsm.Config;

/// <summary>Options of Mamba (<c>model.kind = "mamba"</c>); see docs/baselines.md.</summary>
public sealed record MambaOptions : IOptionsSection
{
    /// <summary>Default d_state of Mamba (the paper's).</summary>
    public const int DefaultStateSize = 16;

    /// <summary>State size d_state. Default 0 = 16. Shared with S4D's state dimension.</summary>
    [JsonPropertyName("state_size"), ConfigRange(0, 4096)]
    public int StateSize { get; init; }

    /// <summary>Width of the short causal depthwise convolution (d_conv). Default 4.</summary>
    [JsonPropertyName("conv_kernel"), ConfigRange(1, 64)]
    public int ConvKernel { get; init; } = 4;

    /// <summary>Inner width as a multiple of d_model (expand). Default 2.</summary>
    [JsonPropertyName("expand"), ConfigRange(1, 16)]
    public int Expand { get; init; } = 2;

    /// <summary>Rank of the input-dependent step-size projection (dt_rank). Default 0 = ceil(d_model / 16).</summary>
    [JsonPropertyName("dt_rank"), ConfigRange(0, 65536)]
    public int DtRank { get; init; }

    /// <summary>Smallest initial discretisation step (log-uniform init). Default 0.001; must be below dt_max. Shared with S4D.</summary>
    [JsonPropertyName("dt_min"), ConfigRange(1e-6, 10)]
    public double DtMin { get; init; } = 0.001;

    /// <summary>Largest initial discretisation step (log-uniform init). Default 0.1. Shared with S4D.</summary>
    [JsonPropertyName("dt_max"), ConfigRange(1e-6, 10)]
    public double DtMax { get; init; } = 0.1;

    /// <summary>
    /// Chunk length of the chunked training form of the selective scan. Default 0 = automatic (8,
    /// the fastest in a timing of the operator at lengths 32 to 1024 on a 2-core CPU). Changes speed
    /// and memory, not results. Shared with RWKV.
    /// </summary>
    [JsonPropertyName("scan_chunk"), ConfigRange(0, 1_000_000)]
    public int ScanChunk { get; init; }

    /// <summary>The state size used: state_size, or the default for 0.</summary>
    public int ResolvedStateSize => StateSize > 0 ? StateSize : DefaultStateSize;

    public void Validate(ModelConfig model) => ConfigRules.DtRange(DtMin, DtMax);
}
