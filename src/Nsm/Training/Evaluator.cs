using static TorchSharp.torch;
using Nsm.Core;
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
}

public static class Evaluator
{
    public static EvalResult Evaluate(SequenceModel model, ITask task, int batchSize, Device device, int maxBatches = int.MaxValue)
    {
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            double lossSum = 0;
            long correct = 0, count = 0;
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
                var logits = model.forward(batch.Inputs, batch.PaddingMask);
                var (loss, c, n) = LossFunctions.CrossEntropy(logits, batch, task.Spec.Output);
                lossSum += loss.item<float>() * n;
                correct += c;
                count += n;
                if (++batchCount >= maxBatches) break;
            }
            return count == 0 ? new EvalResult(double.NaN, double.NaN, 0) : new EvalResult(lossSum / count, (double)correct / count, count);
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
