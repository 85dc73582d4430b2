using TorchSharp;
using static TorchSharp.torch;
using Nsm.Core;

namespace Nsm.Models;

/// <summary>
/// Base of every model the trainer runs.
/// forward(input, padding_mask):
///   input: (B, N) int64 token ids, or (B, N, F) float32 features;
///   padding_mask: (B, N) bool, true where a position holds real data, or null for no padding;
///   returns (B, N, C) logits for <see cref="TaskOutput.PerToken"/>, (B, C) for classification.
/// </summary>
public abstract class SequenceModel : nn.Module<Tensor, Tensor?, Tensor>
{
    /// <param name="name">Module name.</param>
    /// <param name="spec">Task shape.</param>
    /// <param name="dModel">Width d of the token vectors between layers.</param>
    protected SequenceModel(string name, TaskSpec spec, int dModel) : base(name)
    {
        Spec = spec;
        DModel = dModel;
    }

    /// <summary>The task shape this model was built for.</summary>
    public TaskSpec Spec { get; }

    /// <summary>Width d of the token vectors between layers: (B, N, d).</summary>
    public int DModel { get; }

    /// <summary>Number of trainable scalars.</summary>
    public long ParameterCount() => parameters().Where(p => p.requires_grad).Sum(p => p.numel());

    /// <summary>Extra loss terms the model wants minimised (e.g. an importance L1 penalty); null if none.</summary>
    public virtual Tensor? AuxiliaryLoss() => null;

    /// <summary>
    /// Analytic forward FLOPs per token of this model, as built, at sequence length seqLen. A kind
    /// overrides it with its weight multipliers (<see cref="DenseFlops"/>), its sequence-mixing
    /// formula and the formula's text; a kind that does not counts its dense weights only and says
    /// so with <see cref="FlopEstimate.DenseOnlyMethod"/>.
    /// </summary>
    public virtual FlopEstimate EstimateFlops(long seqLen) => new(DenseFlops(), 0, FlopEstimate.DenseOnlyMethod);

    /// <summary>
    /// Dense FLOPs per token, the same rule for every kind: 2 x (each weight with two or more
    /// dimensions) x (how often it is applied per token) + 2 d C for a per-token output head (tied
    /// or not); the token-embedding table is a lookup and costs nothing.
    /// </summary>
    /// <param name="applicationsPerToken">
    /// Parameter name -> applications per token of that weight: 1 for every token, 0 for lookups and
    /// weights the mixing formula counts, s/c for state-slot weights applied once per chunk. Null: 1 for all.
    /// </param>
    protected double DenseFlops(Func<string, double>? applicationsPerToken = null)
    {
        double weights = 0;
        foreach (var (name, p) in named_parameters())
        {
            if (p.dim() < 2 || IsEmbeddingTable(name) || IsOutputHead(name)) continue;
            weights += p.numel() * (applicationsPerToken?.Invoke(name) ?? 1);
        }
        var head = Spec.Output == TaskOutput.PerToken ? 2.0 * DModel * Spec.NumClasses : 0;
        return 2 * weights + head;
    }

    private static bool IsEmbeddingTable(string name) => name.EndsWith("tok_emb.weight", StringComparison.Ordinal);

    private static bool IsOutputHead(string name) => name.EndsWith("lm_head.weight", StringComparison.Ordinal);
}
