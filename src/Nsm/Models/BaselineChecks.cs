using Nsm.Config;
using Nsm.Core;




namespace Nsm.Models;

/// <summary>Cross-field configuration rules and usage checks shared by the baseline models.</summary>
internal static class BaselineChecks
{
    /// <summary>dt_min must lie below dt_max (S4D and Mamba draw initial steps log-uniformly between them).</summary>
    public static void DtRange(ModelConfig config)
    {
        if (config.DtMin >= config.DtMax)
            throw new ConfigException($"'model.dt_min' = {config.DtMin} must be below 'model.dt_max' = {config.DtMax}");
    }

    /// <summary>Streaming produces per-token outputs of a causal model; anything else is a caller error.</summary>
    public static void Streamable(TaskSpec spec, string kind)
    {
        if (!spec.Causal || spec.Output != TaskOutput.PerToken)
            throw new InvalidOperationException($"streaming needs a causal per-token model; this {kind} model was built for a {(spec.Causal ? "causal" : "non-causal")} {spec.Output} task");
    }
}
