using Nsm.Config;
using Nsm.Core;
using Nsm.Models;
using Nsm.Models.Nsm;




namespace Nsm.Benchmarks;

/// <summary>
/// Analytic forward FLOPs per token (one multiply-add = 2 FLOPs), split into the dense part
/// (weight matrices applied to tokens) and the sequence-mixing part (attention scores, scans,
/// convolutions) that depends on the length. Training counts 3x forward (backward ~ 2x forward).
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
/// FLOP formulas. Dense part, for every kind: 2 x (each weight with two or more dimensions) x
/// (how often it is applied per token: 1 by default) + 2 d C for the output head (tied or not);
/// the token-embedding table is a lookup and costs nothing. A kind's rule may change the
/// multiplier of named weights (0 for lookups and for weights its mixing formula counts,
/// s/c for state-slot weights applied once per chunk) and adds its mixing formula. Kinds
/// without a rule count dense FLOPs only and say so in <see cref="FlopEstimate.Method"/>.
/// Elementwise work (norms, activations, gates) is not counted for any kind.
/// </summary>
public static class FlopCounter
{
    /// <summary>How a kind's FLOPs are counted.</summary>
    /// <param name="WeightMultiplier">(config, spec, N, parameter name) -> applications per token of that weight (1 = every token).</param>
    /// <param name="Mixing">(config, spec, N) -> mixing FLOPs per token at length N.</param>
    /// <param name="Formula">The formula in words, for the report.</param>
    public sealed record KindRule(Func<ModelConfig, TaskSpec, long, string, double> WeightMultiplier, Func<ModelConfig, TaskSpec, long, double> Mixing, string Formula);

    private static double PerToken(ModelConfig c, TaskSpec s, long n, string name) => 1;

    private static readonly Dictionary<string, KindRule> Rules = new()
    {
        // Scores q.k cost 2 hd per key and head = 2 d per key; the value sum another 2 d per key.
        // A causal query at position t sees t+1 keys, (N+1)/2 on average.
        ["transformer"] = new(PerToken,
            (c, s, n) => c.NumLayers * 4.0 * c.DModel * (s.Causal ? (n + 1) / 2.0 : n),
            "dense + L·4d·keys; keys = (N+1)/2 causal, N bidirectional"),
        // weight_ih and weight_hh (4d x d each) are applied at every step: all dense.
        ["lstm"] = new(PerToken, (c, s, n) => 0, "dense (input and recurrent gate matrices, 16d² per layer)"),
        // WKV recurrence per channel: e^(u+k), two products and sums for numerator and
        // denominator, a division, and the decayed state updates: 12 operations.
        ["rwkv"] = new(PerToken, (c, s, n) => c.NumLayers * 12.0 * c.DModel, "dense + L·12d (WKV recurrence)"),
        // Selective scan per channel and state: exp(dt A), dt B x, h = dA h + dB x, C h: 8 operations.
        // The depthwise convolution weight (inner, 1, k) is counted by the dense rule (2 k per channel).
        ["mamba"] = new(PerToken,
            (c, s, n) => c.NumLayers * 8.0 * c.Expand * c.DModel * (c.StateSize > 0 ? c.StateSize : 16),
            "dense + L·8·d_inner·d_state (selective scan)"),
        // C (H, N/2, 2) builds the kernel, not a per-token matmul: counted in the mixing term.
        // Kernel K (H x L) from N/2 complex modes: ~8 N/2 per position; causal FFT convolution
        // of length 2L: three real FFTs of ~2.5·2L·log2(2L) and a complex product, per channel.
        ["s4d"] = new((c, s, n, name) => name.EndsWith(".c", StringComparison.Ordinal) ? 0 : 1,
            (c, s, n) => c.NumLayers * (double)c.DModel * (4.0 * (c.StateSize > 0 ? c.StateSize : 64) + 15.0 * Math.Log2(2.0 * n) + 6),
            "dense + L·d·(4·d_state + 15·log2(2N) + 6) (kernel + FFT convolution)"),
        // pos_emb is a lookup; proj_e / proj_f (k x max_len) compress keys and values along the
        // sequence: 2 k d per token each. Attention over k projected keys: 4 d k per token.
        ["linformer"] = new((c, s, n, name) => name.EndsWith("pos_emb", StringComparison.Ordinal) || name.Contains("proj_e") || name.Contains("proj_f") ? 0 : 1,
            (c, s, n) => c.NumLayers * 8.0 * c.DModel * Math.Min(c.LinformerK, n),
            "dense + L·8·d·k (sequence projections E, F and attention over k keys)"),
        ["nsm"] = new(NsmWeightMultiplier, NsmMixing,
            "dense (slot-side weights x s/c) + L·[4d(w+c) local + 4ds read + 2ds write (4ds slot router) + 4ds²/c communication]"),
    };

    /// <summary>Slots a layer computes with: the capacity (inactive slots are masked, not skipped).</summary>
    private static double Slots(ModelConfig c) => Math.Max(c.NumStates, c.MaxStates);

    /// <summary>
    /// NSM weights: token-side projections run for every token; the slot side (state read keys and
    /// values, propagator, communication, slot-router queries) runs for s slots once per chunk of c
    /// tokens (causal) or once per sequence (non-causal); initial slots and write positions are added, not multiplied.
    /// </summary>
    private static double NsmWeightMultiplier(ModelConfig c, TaskSpec spec, long n, string name)
    {
        if (name.Contains("state_init") || name.Contains("write_position") || name.Contains("slot_pool")) return 0;
        var perSlot = Slots(c) / (spec.Causal ? Math.Min(c.ChunkSize, Math.Max(1, n)) : Math.Max(1, n));
        if (name.Contains(".state_read.") || name.Contains(".propagator.") || name.Contains(".communication.") || name.Contains(".writer.query_proj")) return perSlot;
        // With cross-layer states the writer also takes the lower layer's s slots as rows of each chunk.
        if (name.Contains(".writer.") && c.CrossLayerStates && spec.Causal) return 1 + perSlot;
        return 1;
    }

    /// <summary>
    /// NSM mixing per token and layer: local attention scores and values over its window of
    /// w + c keys (w + c + w bidirectional), the read over s slots, the routing sum into s slots
    /// (a slot router's attention over the chunk instead), and slot-to-slot communication once per chunk.
    /// </summary>
    private static double NsmMixing(ModelConfig c, TaskSpec spec, long n)
    {
        double d = c.DModel, s = Slots(c), chunk = Math.Min(c.ChunkSize, Math.Max(1, n)), w = c.Window;
        var local = c.LocalAttention ? 4 * d * (spec.Causal ? w + chunk : 2 * w + chunk) : 0;
        var read = 4 * d * s;
        var write = c.Router == NsmRouter.Slot ? 4 * d * s : 2 * d * s;
        var partners = c.Communication switch { NsmCommunication.Dense => s, NsmCommunication.TopK => Math.Min(s, c.CommunicationTopK), _ => 0 };
        var communication = 4 * d * s * partners / (spec.Causal ? chunk : Math.Max(1, n));
        return c.NumLayers * (local + read + write + communication);
    }

    /// <summary>Per-token forward FLOPs of a built model at sequence length seqLen.</summary>
    public static FlopEstimate Estimate(SequenceModel model, ModelConfig config, long seqLen)
    {
        var spec = model.Spec;
        var rule = Rules.GetValueOrDefault(config.Kind);
        double weights = 0;
        foreach (var (name, p) in model.named_parameters())
        {
            if (p.dim() < 2 || IsEmbeddingTable(name) || IsOutputHead(name)) continue;
            weights += p.numel() * (rule?.WeightMultiplier(config, spec, seqLen, name) ?? 1);
        }
        var head = spec.Output == TaskOutput.PerToken ? 2.0 * config.DModel * spec.NumClasses : 0;
        var dense = 2 * weights + head;
        return rule is null
            ? new FlopEstimate(dense, 0, "dense weights only (no mixing formula for this kind)")
            : new FlopEstimate(dense, rule.Mixing(config, spec, seqLen), rule.Formula);
    }

    /// <summary>The documented formula of each kind, for the report.</summary>
    public static IReadOnlyDictionary<string, string> Formulas => Rules.ToDictionary(kv => kv.Key, kv => kv.Value.Formula);

    private static bool IsEmbeddingTable(string name) => name.EndsWith("tok_emb.weight", StringComparison.Ordinal);

    private static bool IsOutputHead(string name) => name.EndsWith("lm_head.weight", StringComparison.Ordinal);
}
