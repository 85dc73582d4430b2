using static TorchSharp.torch;
using Nsm.Core;
using Nsm.Models;
using Nsm.Tasks;

namespace Nsm.Training;

/// <summary>
/// Evaluation that feeds each batch through a streaming model <c>piece</c> tokens at a time with
/// the carried state, so memory is bounded by the piece and the state, not by the sequence:
/// the way to evaluate an NSM at 16k-64k tokens. Gives the same loss and accuracy as
/// <see cref="Evaluator.Evaluate"/> (streaming equivalence), checked in the tests.
/// </summary>
public static class StreamingEvaluator
{
    public static EvalResult Evaluate(SequenceModel model, ITask task, int batchSize, int piece, Device device, int maxBatches = int.MaxValue)
    {
        if (model is not IStreamingModel streaming)
            throw new ConfigException($"'model.kind' {model.GetType().Name} cannot stream; evaluate without --piece");
        if (piece < 1) throw new ArgumentOutOfRangeException(nameof(piece), piece, "piece must be at least 1 token");
        if (task.Spec.Output != TaskOutput.PerToken)
            throw new ConfigException($"streaming evaluation scores per-token tasks; task '{task.Name}' has one output per sequence");
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            var exactMatch = task is IExactMatchTask;
            var positions = new PositionLoss();
            double lossSum = 0;
            long correct = 0, count = 0, examples = 0, exactCorrect = 0;
            var batchCount = 0;
            using var batches = task.EvalBatches(batchSize, device).GetEnumerator();
            using var gcPause = GcPause.Start();
            while (true)
            {
                using var batchScope = NewDisposeScope();
                if (!batches.MoveNext()) break;
                var batch = batches.Current;
                var (b, t) = (batch.Inputs.shape[0], batch.Inputs.shape[1]);
                var mask = batch.LossMask ?? batch.PaddingMask ?? ones(b, t, dtype: ScalarType.Bool, device: device);
                var rowHit = ones(b, dtype: ScalarType.Bool, device: device);   // (B): every scored target so far right
                var state = streaming.InitialState(b);
                for (long start = 0; start < t; start += piece)
                {
                    gcPause.Renew();
                    using var pieceScope = NewDisposeScope();
                    var n = Math.Min(piece, t - start);
                    var inputs = batch.Inputs.narrow(1, start, n);
                    var (logits, next) = streaming.Forward(inputs, state);     // (B, n, C)
                    var pieceMask = mask.narrow(1, start, n);                  // (B, n)
                    var pieceTargets = batch.Targets.narrow(1, start, n);
                    var scored = pieceMask.sum().item<long>();
                    if (scored > 0)
                    {
                        var (loss, c, m) = LossFunctions.CrossEntropy(logits, new Batch(inputs, pieceTargets, pieceMask), TaskOutput.PerToken);
                        lossSum += loss.item<float>() * m;
                        correct += c;
                        count += m;
                        positions.Add(logits, pieceTargets, pieceMask, start);
                        var hit = logits.argmax(-1).eq(pieceTargets).logical_or(pieceMask.logical_not()).all(1);
                        rowHit.logical_and_(hit);
                    }
                    // The model moves its output out of its own scope, which may be past this one: free it here.
                    logits.Dispose();
                    // The new state may share tensors with the old one (a layer that did not change).
                    var kept = next.Tensors.Values.Select(x => x.Handle).ToHashSet();
                    foreach (var old in state.Tensors.Values)
                        if (!kept.Contains(old.Handle)) old.Dispose();
                    state = next.MoveToOuterDisposeScope();
                }
                state.Dispose();
                if (exactMatch)
                {
                    var scoredRows = mask.any(1);
                    examples += scoredRows.sum().item<long>();
                    exactCorrect += rowHit.logical_and(scoredRows).sum().item<long>();
                }
                if (++batchCount >= maxBatches) break;
            }
            return EvalResult.FromSums(lossSum, count, correct, exactCorrect, examples, exactMatch) with { ByPosition = positions.Buckets() };
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
