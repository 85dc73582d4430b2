using Nsm.Core;

namespace Nsm.Models;

/// <summary>Usage checks shared by the baseline models.</summary>
internal static class BaselineChecks
{
    /// <summary>Streaming produces per-token outputs of a causal model; anything else is a caller error.</summary>
    public static void Streamable(TaskSpec spec, string kind)
    {
        if (!spec.Causal || spec.Output != TaskOutput.PerToken)
            throw new InvalidOperationException($"streaming needs a causal per-token model; this {kind} model was built for a {(spec.Causal ? "causal" : "non-causal")} {spec.Output} task");
    }
}
