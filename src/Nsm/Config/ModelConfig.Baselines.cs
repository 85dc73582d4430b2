using System.Text.Json.Serialization;

namespace Nsm.Config;

/// <summary>
/// Settings of the baseline models (lstm, rwkv, s4d, mamba, linformer); see docs/baselines.md.
/// The shared keys (d_model, num_layers, num_heads, ffn_mult, dropout, tie_embeddings) live in ModelConfig.cs.
/// </summary>
public sealed partial record ModelConfig
{
    /// <summary>
    /// State size N of the state-space baselines: S4D's state dimension (N/2 complex modes; must be
    /// even) and Mamba's d_state. Default 0 = each paper's default: 64 for s4d, 16 for mamba.
    /// </summary>
    [JsonPropertyName("state_size"), ConfigRange(0, 4096)]
    public int StateSize { get; init; }

    /// <summary>Width of Mamba's short causal depthwise convolution (d_conv). Default 4.</summary>
    [JsonPropertyName("conv_kernel"), ConfigRange(1, 64)]
    public int ConvKernel { get; init; } = 4;

    /// <summary>Mamba's inner width as a multiple of d_model (expand). Default 2.</summary>
    [JsonPropertyName("expand"), ConfigRange(1, 16)]
    public int Expand { get; init; } = 2;

    /// <summary>Rank of Mamba's input-dependent step-size projection (dt_rank). Default 0 = ceil(d_model / 16).</summary>
    [JsonPropertyName("dt_rank"), ConfigRange(0, 65536)]
    public int DtRank { get; init; }

    /// <summary>Smallest initial discretisation step of S4D and Mamba (log-uniform init). Default 0.001; must be below dt_max.</summary>
    [JsonPropertyName("dt_min"), ConfigRange(1e-6, 10)]
    public double DtMin { get; init; } = 0.001;

    /// <summary>Largest initial discretisation step of S4D and Mamba (log-uniform init). Default 0.1.</summary>
    [JsonPropertyName("dt_max"), ConfigRange(1e-6, 10)]
    public double DtMax { get; init; } = 0.1;

    /// <summary>Initialisation of S4D's diagonal A: "lin" (S4D-Lin, A_n = -1/2 + i pi n) or "inv" (S4D-Inv). Default "lin".</summary>
    [JsonPropertyName("s4d_init")]
    public S4dInit S4dInit { get; init; } = S4dInit.Lin;

    /// <summary>Projected length k of Linformer's keys and values (the low rank). Default 64.</summary>
    [JsonPropertyName("linformer_k"), ConfigRange(1, 65536)]
    public int LinformerK { get; init; } = 64;

    /// <summary>
    /// Chunk length of the chunked training forms of RWKV's WKV and Mamba's selective scan.
    /// Default 0 = automatic: 16 for rwkv, 8 for mamba (the fastest in a timing of the operators
    /// at lengths 32 to 1024 on a 2-core CPU). Changes speed and memory, not results.
    /// </summary>
    [JsonPropertyName("scan_chunk"), ConfigRange(0, 1_000_000)]
    public int ScanChunk { get; init; }
}
