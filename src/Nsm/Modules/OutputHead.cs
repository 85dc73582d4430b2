using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Core;

namespace Nsm.Modules;

/// <summary>
/// Turns final token states (B, N, d) into task outputs: per-token logits (B, N, C), tied to
/// the token embedding when the task allows, or a classification (B, C) from the masked mean
/// of the token states. Models with extra summaries (NSM slots) pass them in.
/// </summary>
public sealed class OutputHead : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly Linear? lm_head;
    private readonly Linear? cls_head;
    // A delegate, not a Parameter field: a field would register the embedding twice.
    private readonly Func<Tensor>? tiedWeight;
    private readonly TaskOutput output;

    /// <param name="spec">Task shape.</param>
    /// <param name="dim">Width of the token states.</param>
    /// <param name="embedding">The input embedding, for tying.</param>
    /// <param name="tie">Tie the output projection to the token embedding (per-token tasks with token inputs and C == V).</param>
    /// <param name="classifierInput">Width of the classifier's input (defaults to dim).</param>
    public OutputHead(TaskSpec spec, long dim, InputEmbedding embedding, bool tie, long classifierInput = 0) : base(nameof(OutputHead))
    {
        output = spec.Output;
        if (output == TaskOutput.PerToken)
        {
            if (tie && embedding.TokenWeight is not null && spec.NumClasses == spec.VocabSize)
                {
                var weight = embedding.TokenWeight;
                tiedWeight = () => weight;
            }
            else
                lm_head = nn.Linear(dim, spec.NumClasses, hasBias: false);
        }
        else
        {
            cls_head = nn.Linear(classifierInput > 0 ? classifierInput : dim, spec.NumClasses);
        }
        RegisterComponents();
    }

    /// <summary>Per-token logits from token states x: (B, N, d) -> (B, N, C).</summary>
    public Tensor PerToken(Tensor x) =>
        tiedWeight is not null ? nn.functional.linear(x, tiedWeight()) : lm_head!.forward(x);

    /// <summary>Classification logits from a pooled summary: (B, dIn) -> (B, C).</summary>
    public Tensor Classify(Tensor summary) => cls_head!.forward(summary);

    /// <summary>x: (B, N, d), mask: (B, N) bool or null. Per-token logits or a classification of the masked mean.</summary>
    public override Tensor forward(Tensor x, Tensor? paddingMask)
    {
        if (output == TaskOutput.PerToken) return PerToken(x);
        return Classify(MaskedMean(x, paddingMask));
    }

    /// <summary>Mean over real positions: (B, N, d), (B, N) -> (B, d).</summary>
    public static Tensor MaskedMean(Tensor x, Tensor? paddingMask)
    {
        if (paddingMask is null) return x.mean([1]);
        using var scope = NewDisposeScope();
        var weights = paddingMask.to(x.dtype).unsqueeze(-1);          // (B, N, 1)
        var summed = (x * weights).sum(1);                               // (B, d)
        var count = weights.sum(1).clamp_min(1);                         // (B, 1)
        return (summed / count).MoveToOuterDisposeScope();
    }
}
