using Nsm.Config;
using Nsm.Models;

namespace Nsm.Benchmarks;

/// <summary>
/// Analytic forward FLOPs per token (one multiply-add = 2 FLOPs), split into the dense part
/// (weight matrices applied to every token) and the sequence-mixing part (attention scores,
/// scans) that depends on the length. Training counts 3x forward (backward ~ 2x forward).
/// </summary>
/// <param name="Dense">Dense FLOPs per token, including the output head.</param>
/// <param name="Mixing">Sequence-mixing FLOPs per token at this length.</param>
/// <param name="Method">Which formula produced it (documented in docs/benchmarks.md).</param>
public sealed record FlopEstimate(double Dense, double Mixing, string Method)
{
    public double Forward => Dense + Mixing;

    /// <summary>Forward + backward: 3x forward.</summary>
    public double Training => 3 * Forward;
}

/// <summary>
/// FLOP formulas. The dense part is generic: 2 x (every weight with two or more dimensions,
/// except the token-embedding table, which is a lookup) + 2 d C for the output head (tied or
/// not). The mixing part is a formula per kind; kinds without one count dense FLOPs only and
/// say so in <see cref="FlopEstimate.Method"/>. Kinds whose weights are not all applied once
/// per token (state-slot updates run once per chunk) register their own dense rule.
/// </summary>
public static class FlopCounter
{
    /// <summary>Mixing FLOPs per token: (config, spec, seqLen) -> FLOPs, per model kind.</summary>
    private static readonly Dictionary<string, (Func<ModelConfig, TaskSpec, long, double> Mixing, string Formula)> MixingRules = new()
    {
        // Attention scores q.k (2 hd per key and head = 2 d per key) and the weighted sum of
        // values (2 d per key); a causal query at position t sees t+1 keys, (N+1)/2 on average.
        ["transformer"] = ((c, s, n) => c.NumLayers * 4.0 * c.DModel * (s.Causal ? (n + 1) / 2.0 : n),
            "dense + L * 4 d * keys, keys = (N+1)/2 causal, N bidirectional"),
    };

    /// <summary>Per-token forward FLOPs of a built model at sequence length seqLen.</summary>
    public static FlopEstimate Estimate(SequenceModel model, ModelConfig config, long seqLen)
    {
        var spec = model.Spec;
        double matrices = 0;
        foreach (var (name, p) in model.named_parameters())
        {
            if (p.dim() < 2 || IsEmbeddingTable(name) || IsOutputHead(name)) continue;
            matrices += p.numel();
        }
        var head = spec.Output == TaskOutput.PerToken ? 2.0 * config.DModel * spec.NumClasses : 0;
        var dense = 2 * matrices + head;
        if (MixingRules.TryGetValue(config.Kind, out var rule))
            return new FlopEstimate(dense, rule.Mixing(config, spec, seqLen), rule.Formula);
        return new FlopEstimate(dense, 0, "dense weights only (no mixing formula for this kind)");
    }

    /// <summary>The documented formula of each kind, for the report.</summary>
    public static IReadOnlyDictionary<string, string> Formulas => MixingRules.ToDictionary(kv => kv.Key, kv => kv.Value.Formula);

    private static bool IsEmbeddingTable(string name) => name.EndsWith("tok_emb.weight", StringComparison.Ordinal);

    private static bool IsOutputHead(string name) => name.EndsWith("lm_head.weight", StringComparison.Ordinal);
}
