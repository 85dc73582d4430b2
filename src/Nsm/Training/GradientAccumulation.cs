using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Models;
using Nsm.Core;

namespace Nsm.Training;

/// <summary>
/// One optimizer step's gradient from <c>train.grad_accum</c> = A micro-batches of
/// <c>train.batch_size</c> rows each, equal to the gradient of one batch of A x batch_size rows:
/// each micro-batch's mean loss is back-propagated weighted by its scored targets count_j, and
/// the summed gradient is divided by sum_j count_j, giving the gradient of the mean over all
/// scored targets (the weighting GradientSync uses across ranks). Memory is that of one
/// micro-batch; compute is that of the whole batch. This is the one-machine alternative to more
/// ranks for a larger batch (docs/distributed.md).
/// </summary>
internal static class GradientAccumulation
{
    /// <summary>
    /// Runs forward and backward over <paramref name="rows"/> (A x <paramref name="microBatch"/>
    /// rows) in micro-batches, leaving the gradient of the mean loss of all rows in the
    /// parameters' .grad (zeroed first by the caller). <paramref name="statistics"/> (float
    /// buffers the forward pass updates, such as the NSM's slot-usage EMAs) end as the mean of
    /// what each micro-batch made of their values at the start, which is the one-batch update
    /// for any update linear in the batch mean (as across ranks). A non-finite loss in any
    /// micro-batch stops the loop and returns NaN, and the step is skipped as it would be for one batch.
    /// Returns the mean loss over all scored targets and their number.
    /// </summary>
    public static (double Loss, long Scored) Run(SequenceModel model, Batch rows, int microBatch, IReadOnlyList<Parameter> parameters, IReadOnlyList<Tensor> statistics, TaskOutput output, double labelSmoothing)
    {
        var micro = (int)(rows.Inputs.shape[0] / microBatch);
        var start = statistics.Select(s => s.detach().clone()).ToList();
        var sums = statistics.Select(s => zeros_like(s)).ToList();
        double lossSum = 0;
        long scoredSum = 0;
        for (var j = 0; j < micro; j++)
        {
            using var scope = NewDisposeScope();
            if (j > 0) CopyInto(start, statistics);
            using var batch = Rows(rows, (long)j * microBatch, microBatch);
            var logits = model.forward(batch.Inputs, batch.PaddingMask);
            var (loss, _, scored) = LossFunctions.CrossEntropy(logits, batch, output, labelSmoothing);
            var total = model.AuxiliaryLoss() is { } aux ? loss + aux : loss;
            var value = loss.item<float>();
            if (!double.IsFinite(ReferenceEquals(total, loss) ? value : total.item<float>())) return (double.NaN, scoredSum + scored);
            (total * (float)scored).backward();
            lossSum += (double)value * scored;
            scoredSum += scored;
            using (no_grad()) for (var i = 0; i < statistics.Count; i++) sums[i].add_(statistics[i]);
        }
        using (no_grad())
        {
            foreach (var p in parameters) p.grad?.div_(scoredSum);
            for (var i = 0; i < statistics.Count; i++) statistics[i].copy_(sums[i] / micro);
        }
        foreach (var t in start.Concat(sums)) t.Dispose();
        return (lossSum / scoredSum, scoredSum);
    }

    /// <summary>Rows start .. start + count - 1 of a batch (views of its tensors).</summary>
    public static Batch Rows(Batch batch, long start, long count) =>
        new(batch.Inputs.narrow(0, start, count), batch.Targets.narrow(0, start, count), batch.LossMask?.narrow(0, start, count), batch.PaddingMask?.narrow(0, start, count));

    private static void CopyInto(IReadOnlyList<Tensor> from, IReadOnlyList<Tensor> to)
    {
        using var noGrad = no_grad();
        for (var i = 0; i < from.Count; i++) to[i].copy_(from[i]);
    }
}
