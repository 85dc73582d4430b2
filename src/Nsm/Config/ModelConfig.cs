using System.Text.Json.Serialization;

namespace Nsm.Config;

/// <summary>
/// The <c>model</c> section. Settings shared by the model kinds live here; the settings of one
/// family live in its option section (<see cref="NsmOptions"/>, <see cref="S4dOptions"/>, ...),
/// whose keys appear flat in the JSON (<c>model.num_states</c>) and apply to that family only.
/// </summary>
[JsonConverter(typeof(ModelConfigJsonConverter))]
public sealed partial record ModelConfig
{
    /// <summary>Which model to build; see <c>Nsm.Registry.ModelRegistry</c>.</summary>
    [JsonPropertyName("kind")]
    public string Kind { get; init; } = "transformer";

    /// <summary>Width of token representations.</summary>
    [JsonPropertyName("d_model"), ConfigRange(1, 65536)]
    public int DModel { get; init; } = 64;

    /// <summary>Number of stacked layers.</summary>
    [JsonPropertyName("num_layers"), ConfigRange(1, 256)]
    public int NumLayers { get; init; } = 2;

    /// <summary>Attention heads; must divide d_model.</summary>
    [JsonPropertyName("num_heads"), ConfigRange(1, 1024), ForKinds("transformer", "linformer", "nsm")]
    public int NumHeads { get; init; } = 4;

    /// <summary>Hidden width of the SwiGLU feed-forward block as a multiple of d_model.</summary>
    [JsonPropertyName("ffn_mult"), ConfigRange(0.25, 64), ForKinds("transformer", "linformer", "nsm")]
    public double FfnMult { get; init; } = 2.0;

    /// <summary>Dropout probability inside blocks (0 keeps training deterministic and simple).</summary>
    [JsonPropertyName("dropout"), ConfigRange(0, 0.9)]
    public double Dropout { get; init; } = 0.0;

    /// <summary>Share the input embedding with the output projection of language models.</summary>
    [JsonPropertyName("tie_embeddings")]
    public bool TieEmbeddings { get; init; } = true;

    /// <summary>Base of the rotary position frequencies.</summary>
    [JsonPropertyName("rope_base"), ConfigRange(1, 1e9), ForKinds("transformer", "nsm")]
    public double RopeBase { get; init; } = 10000;

    /// <summary>
    /// How continuous inputs become d_model vectors: "linear" (one projection per step) or "conv"
    /// (image patches only: the patches are put back into the image, a 3x3 convolution to
    /// stem_channels with GELU runs over it, and each p x p patch of that feature map is projected
    /// to a vector; the "convolutional stem" of hybrid vision Transformers). Default "linear".
    /// </summary>
    [JsonPropertyName("input_stem")]
    public InputStem InputStem { get; init; } = InputStem.Linear;

    /// <summary>Channels of the 3x3 convolution of input_stem "conv". Default 16.</summary>
    [JsonPropertyName("stem_channels"), ConfigRange(1, 4096)]
    public int StemChannels { get; init; } = 16;

    /// <summary>
    /// If positive, d_model is chosen (num_layers kept) so the parameter count is closest to this number
    /// (see docs/baselines.md); 0 keeps d_model as given.
    /// </summary>
    [JsonPropertyName("target_params"), ConfigRange(0, 1e11)]
    public double TargetParams { get; init; }

    /// <summary>Options of the Neural State Machine (model.kind = "nsm").</summary>
    [ConfigSection("nsm")]
    public NsmOptions Nsm { get; init; } = new();

    /// <summary>Options of RWKV (model.kind = "rwkv").</summary>
    [ConfigSection("rwkv")]
    public RwkvOptions Rwkv { get; init; } = new();

    /// <summary>Options of S4D (model.kind = "s4d").</summary>
    [ConfigSection("s4d")]
    public S4dOptions S4d { get; init; } = new();

    /// <summary>Options of Mamba (model.kind = "mamba").</summary>
    [ConfigSection("mamba")]
    public MambaOptions Mamba { get; init; } = new();

    /// <summary>Options of the Linformer (model.kind = "linformer").</summary>
    [ConfigSection("linformer")]
    public LinformerOptions Linformer { get; init; } = new();
}
