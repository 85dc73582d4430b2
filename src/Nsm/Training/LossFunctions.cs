using TorchSharp;
using static TorchSharp.torch;
using Nsm.Core;

namespace Nsm.Training;

/// <summary>Loss and correct-prediction counts of a batch, for per-token and classification outputs.</summary>
public static class LossFunctions
{
    /// <summary>
    /// Cross-entropy averaged over scored targets.
    /// logits: (B, N, C) with targets (B, N) and optional loss mask (B, N); or (B, C) with targets (B).
    /// Returns the mean loss (scalar), the number of correct argmax predictions and the number scored.
    /// With <paramref name="labelSmoothing"/> = e > 0 the target distribution is (1 - e) on the label
    /// plus e/C on every class (Szegedy et al. 2016, as torch.nn.CrossEntropyLoss does).
    /// </summary>
    public static (Tensor Loss, long Correct, long Count) CrossEntropy(Tensor logits, Batch batch, TaskOutput output, double labelSmoothing = 0)
    {
        if (labelSmoothing < 0 || labelSmoothing >= 1) throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "label smoothing must be in [0, 1)");
        using var scope = NewDisposeScope();
        Tensor flatLogits, flatTargets;
        if (output == TaskOutput.PerToken)
        {
            var classes = logits.shape[^1];
            flatLogits = logits.reshape(-1, classes);                 // (B*N, C)
            flatTargets = batch.Targets.reshape(-1);                  // (B*N)
            var mask = batch.LossMask ?? batch.PaddingMask;
            if (mask is not null)
            {
                var keep = mask.reshape(-1).nonzero().squeeze(1);
                flatLogits = flatLogits.index_select(0, keep);
                flatTargets = flatTargets.index_select(0, keep);
            }
        }
        else
        {
            flatLogits = logits;                                      // (B, C)
            flatTargets = batch.Targets;                              // (B)
        }
        var count = flatTargets.shape[0];
        if (count == 0) throw new InvalidOperationException("batch has no scored targets");
        var loss = nn.functional.cross_entropy(flatLogits.to(ScalarType.Float32), flatTargets, label_smoothing: labelSmoothing);
        var correct = flatLogits.argmax(-1).eq(flatTargets).sum().item<long>();
        return (loss.MoveToOuterDisposeScope(), correct, count);
    }
}
