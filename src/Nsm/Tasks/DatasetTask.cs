using static TorchSharp.torch;
using Nsm.Core;
using Nsm.Data;

namespace Nsm.Tasks;

/// <summary>
/// Base of tasks over a fixed, indexed set of examples (files or a generated set): training
/// batches visit the training examples epoch by epoch in seeded permutations
/// (<see cref="EpochSampler"/>); the evaluation set is read in order. Subclasses load their
/// data lazily, so a task that is only evaluated never reads its training files.
/// </summary>
public abstract class DatasetTask : ITask
{
    private readonly long seed;
    private readonly int maxEvalExamples;
    private EpochSampler? sampler;

    /// <param name="seed">Seed of the training order.</param>
    /// <param name="maxEvalExamples">Evaluate on at most this many examples of the evaluation split (0 = all).</param>
    protected DatasetTask(long seed, int maxEvalExamples)
    {
        this.seed = seed;
        this.maxEvalExamples = maxEvalExamples;
    }

    public abstract string Name { get; }

    public abstract TaskSpec Spec { get; }

    public virtual ITokenizer? Tokenizer => null;

    /// <summary>Number of training examples (may load the training data).</summary>
    public abstract int TrainCount { get; }

    /// <summary>Number of examples in the evaluation split (may load it).</summary>
    public abstract int EvalSplitCount { get; }

    /// <summary>Number of examples one evaluation pass uses.</summary>
    public int EvalCount => maxEvalExamples > 0 ? Math.Min(maxEvalExamples, EvalSplitCount) : EvalSplitCount;

    /// <summary>Seed of the training order (and of any training-time augmentation).</summary>
    protected long Seed => seed;

    /// <summary>Builds a batch from training examples (eval = false) or evaluation examples (eval = true).</summary>
    protected abstract Batch Collate(bool eval, IReadOnlyList<int> indices, Device device);

    /// <summary>Builds training batch <paramref name="step"/>; tasks with augmentation override it (deterministic in seed and step).</summary>
    protected virtual Batch CollateTrain(long step, IReadOnlyList<int> indices, Device device) => Collate(false, indices, device);

    public Batch TrainBatch(long step, int batchSize, Device device)
    {
        sampler ??= new EpochSampler(seed, TrainCount);
        return CollateTrain(step, sampler.Batch(step, batchSize), device);
    }

    public IEnumerable<Batch> EvalBatches(int batchSize, Device device)
    {
        var count = EvalCount;
        for (var start = 0; start < count; start += batchSize)
        {
            var indices = Enumerable.Range(start, Math.Min(batchSize, count - start)).ToArray();
            yield return Collate(true, indices, device);
        }
    }
}
