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
    protected SequenceModel(string name, TaskSpec spec) : base(name)
    {
        Spec = spec;
    }

    /// <summary>The task shape this model was built for.</summary>
    public TaskSpec Spec { get; }

    /// <summary>Number of trainable scalars.</summary>
    public long ParameterCount() => parameters().Where(p => p.requires_grad).Sum(p => p.numel());

    /// <summary>Extra loss terms the model wants minimised (e.g. an importance L1 penalty); null if none.</summary>
    public virtual Tensor? AuxiliaryLoss() => null;
}
