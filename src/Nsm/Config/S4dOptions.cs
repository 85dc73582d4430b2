using System.Text.Json.Serialization;
using Nsm.Core;

namespace Nsm.Config;

/// <summary>Options of the diagonal state-space model S4D (<c>model.kind = "s4d"</c>); see docs/baselines.md.</summary>
public sealed record S4dOptions : IOptionsSection
{
    /// <summary>Default state size N of S4D (the paper's).</summary>
    public const int DefaultStateSize = 64;

    /// <summary>State dimension N (N/2 complex modes; must be even). Default 0 = 64. Shared with Mamba's d_state.</summary>
    [JsonPropertyName("state_size"), ConfigRange(0, 4096)]
    public int StateSize { get; init; }

    /// <summary>Smallest initial discretisation step (log-uniform init). Default 0.001; must be below dt_max. Shared with Mamba.</summary>
    [JsonPropertyName("dt_min"), ConfigRange(1e-6, 10)]
    public double DtMin { get; init; } = 0.001;

    /// <summary>Largest initial discretisation step (log-uniform init). Default 0.1. Shared with Mamba.</summary>
    [JsonPropertyName("dt_max"), ConfigRange(1e-6, 10)]
    public double DtMax { get; init; } = 0.1;

    /// <summary>Initialisation of the diagonal A: "lin" (S4D-Lin, A_n = -1/2 + i pi n) or "inv" (S4D-Inv). Default "lin".</summary>
    [JsonPropertyName("s4d_init")]
    public S4dInit S4dInit { get; init; } = S4dInit.Lin;

    /// <summary>The state size used: state_size, or the default for 0.</summary>
    public int ResolvedStateSize => StateSize > 0 ? StateSize : DefaultStateSize;

    public void Validate(ModelConfig model)
    {
        if (ResolvedStateSize < 2 || ResolvedStateSize % 2 != 0)
            throw new ConfigException($"'model.state_size' = {ResolvedStateSize} must be even and at least 2 for s4d (the state is N/2 complex conjugate pairs)");
        ConfigRules.DtRange(DtMin, DtMax);
    }
}
