using static TorchSharp.torch;
using Nsm.Core;
using Nsm.Models;
using Nsm.Tasks;

namespace Nsm.Benchmarks;

/// <summary>Accuracy and macro-averaged F1 of a classifier over a task's held-out set.</summary>
public static class ClassificationMetrics
{
    /// <summary>Macro F1 from a confusion matrix confusion[truth, predicted]: the mean over classes that occur (in truth or predictions) of 2PR/(P+R).</summary>
    public static double MacroF1(long[,] confusion)
    {
        var classes = confusion.GetLength(0);
        var scores = new List<double>();
        for (var c = 0; c < classes; c++)
        {
            long tp = confusion[c, c], fp = 0, fn = 0;
            for (var o = 0; o < classes; o++)
            {
                if (o == c) continue;
                fp += confusion[o, c];
                fn += confusion[c, o];
            }
            if (tp + fp + fn == 0) continue;
            scores.Add(2.0 * tp / (2.0 * tp + fp + fn));
        }
        return scores.Count == 0 ? double.NaN : scores.Average();
    }

    /// <summary>(accuracy, macro F1) of a classification model on the task's evaluation batches.</summary>
    public static (double Accuracy, double MacroF1) Evaluate(SequenceModel model, ITask task, int batchSize, Device device)
    {
        if (task.Spec.Output != TaskOutput.Classification) throw new ArgumentException("macro F1 needs a classification task");
        var classes = task.Spec.NumClasses;
        var confusion = new long[classes, classes];
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            foreach (var batch in task.EvalBatches(batchSize, device))
            {
                using var scope = NewDisposeScope();
                var predicted = model.forward(batch.Inputs, batch.PaddingMask).argmax(-1).cpu().data<long>().ToArray();  // (B)
                var truth = batch.Targets.cpu().data<long>().ToArray();                                                 // (B)
                for (var i = 0; i < truth.Length; i++) confusion[truth[i], predicted[i]]++;
                batch.Dispose();
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        long correct = 0, total = 0;
        for (var c = 0; c < classes; c++)
            for (var o = 0; o < classes; o++)
            {
                total += confusion[c, o];
                if (c == o) correct += confusion[c, o];
            }
        return (total == 0 ? double.NaN : (double)correct / total, MacroF1(confusion));
    }
}
