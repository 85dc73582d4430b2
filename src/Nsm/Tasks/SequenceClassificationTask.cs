using static TorchSharp.torch;
using Nsm.Core;
using Nsm.Data;

namespace Nsm.Tasks;

/// <summary>
/// Base of classification tasks over variable-length token sequences (ListOps, byte-level
/// documents, bAbI answers). A batch is padded to its longest sequence with token 0:
/// inputs (B, L) int64, padding mask (B, L) bool (true = real token; null when no sequence of
/// the batch is shorter than L), targets (B) int64 class labels.
/// </summary>
public abstract class SequenceClassificationTask : DatasetTask
{
    protected SequenceClassificationTask(long seed, int maxEvalExamples) : base(seed, maxEvalExamples)
    {
    }

    /// <summary>The training sequences (loaded on first use).</summary>
    protected abstract PackedSequences TrainSet { get; }

    /// <summary>The evaluation split's sequences (loaded on first use).</summary>
    protected abstract PackedSequences EvalSet { get; }

    public override int TrainCount => TrainSet.Count;

    public override int EvalSplitCount => EvalSet.Count;

    protected override Batch Collate(bool eval, IReadOnlyList<int> indices, Device device) =>
        Pad(eval ? EvalSet : TrainSet, indices, device);

    /// <summary>Pads the chosen sequences to the longest of them (see the class summary for shapes).</summary>
    public static Batch Pad(PackedSequences set, IReadOnlyList<int> indices, Device device)
    {
        var b = indices.Count;
        var length = indices.Max(set.Length);
        var inputs = new long[b * length];
        var mask = new bool[b * length];
        var labels = new long[b];
        var padded = false;
        for (var i = 0; i < b; i++)
        {
            var n = set.Length(indices[i]);
            set.CopyTo(indices[i], inputs.AsSpan(i * length, n));
            mask.AsSpan(i * length, n).Fill(true);
            padded |= n < length;
            labels[i] = set.Label(indices[i]);
        }
        return new Batch(
            tensor(inputs, [b, length]).to(device),
            tensor(labels, [b]).to(device),
            null,
            padded ? tensor(mask, [b, length]).to(device) : null);
    }
}
