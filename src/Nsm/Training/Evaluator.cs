using static TorchSharp.torch;
using Nsm.Core;
using Nsm.Distributed;
using Nsm.Models;
using Nsm.Tasks;

namespace Nsm.Training;

/// <summary>Loss and accuracy over a task's held-out set.</summary>
public sealed record EvalResult(double Loss, double Accuracy, long Count)
{
    /// <summary>exp(loss): perplexity for language models.</summary>
    public double Perplexity => Math.Exp(Loss);

    /// <summary>loss / ln 2: bits per token (per character for character models).</summary>
    public double BitsPerToken => Loss / Math.Log(2);

    /// <summary>The loss by position in the sequence (<see cref="PositionLoss"/>) for per-token tasks; empty for classification.</summary>
    public IReadOnlyList<PositionBucket> ByPosition { get; init; } = [];

    /// <summary>
    /// The result from an evaluation's sums: summed loss and correct predictions over count scored
    /// tokens, and for exact-match tasks the examples answered exactly out of those scored.
    /// </summary>
    public static EvalResult FromSums(double lossSum, long count, long correct, long exactCorrect, long examples, bool exactMatch)
    {
        if (count == 0) return new EvalResult(double.NaN, double.NaN, 0);
        var accuracy = exactMatch ? (examples == 0 ? double.NaN : (double)exactCorrect / examples) : (double)correct / count;
        return new EvalResult(lossSum / count, accuracy, count);
    }
}

public static class Evaluator
{
    /// <summary>
    /// Examples whose every scored target is the argmax of the logits (B, T, C), and the number of
    /// examples with at least one scored target: exact match of <see cref="IExactMatchTask"/>s.
    /// </summary>
    public static (long Correct, long Examples) ExactMatches(Tensor logits, Batch batch)
    {
        var mask = batch.LossMask ?? throw new InvalidOperationException("exact match needs a loss mask");
        var hit = logits.argmax(-1).eq(batch.Targets).logical_or(mask.logical_not()); // (B, T)
        var scoredRows = mask.any(1);                                                   // (B)
        var correct = hit.all(1).logical_and(scoredRows).sum().item<long>();
        return (correct, scoredRows.sum().item<long>());
    }

    /// <summary>
    /// Evaluates up to <paramref name="maxBatches"/> batches of the held-out set. With
    /// <paramref name="comm"/> of K &gt; 1 ranks the evaluation is sharded: rank r runs batches
    /// r, r + K, ... and one float64 allreduce sums the counts, so every rank returns the result
    /// of the whole set (equal to one process up to the order of the sums).
    /// </summary>
    public static EvalResult Evaluate(SequenceModel model, ITask task, int batchSize, Device device, int maxBatches = int.MaxValue, Communicator? comm = null)
    {
        var rank = comm?.Rank ?? 0;
        var size = comm?.Size ?? 1;
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            double lossSum = 0;
            long correct = 0, count = 0, examples = 0, exactCorrect = 0;
            var exactMatch = task is IExactMatchTask;
            var positions = new PositionLoss();
            var batchCount = 0;
            using var batches = task.EvalBatches(batchSize, device).GetEnumerator();
            using var gcPause = GcPause.Start();
            while (true)
            {
                // The scope is opened before the batch is made, so temporaries of the task's
                // batch construction are freed too.
                gcPause.Renew();
                using var scope = NewDisposeScope();
                if (!batches.MoveNext()) break;
                var batch = batches.Current;
                // Every rank walks the whole set (the batches are built in order), and runs its share.
                if (batchCount++ % size != rank)
                {
                    if (batchCount >= maxBatches) break;
                    continue;
                }
                var logits = model.forward(batch.Inputs, batch.PaddingMask);
                var (loss, c, n) = LossFunctions.CrossEntropy(logits, batch, task.Spec.Output);
                lossSum += loss.item<float>() * n;
                if (task.Spec.Output == TaskOutput.PerToken)
                    positions.Add(logits, batch.Targets, batch.LossMask ?? batch.PaddingMask ?? ones_like(batch.Targets, ScalarType.Bool), 0);
                if (exactMatch)
                {
                    var (rowsCorrect, rows) = ExactMatches(logits, batch);
                    exactCorrect += rowsCorrect;
                    examples += rows;
                }
                correct += c;
                count += n;
                if (batchCount >= maxBatches) break;
            }
            if (size > 1)
            {
                var sums = new[] { lossSum, correct, count, exactCorrect, examples };
                comm!.AllReduceSum(sums, "evaluation sums allreduce");
                (lossSum, correct, count, exactCorrect, examples) = (sums[0], (long)sums[1], (long)sums[2], (long)sums[3], (long)sums[4]);
            }
            return EvalResult.FromSums(lossSum, count, correct, exactCorrect, examples, exactMatch) with { ByPosition = positions.Buckets() };
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
