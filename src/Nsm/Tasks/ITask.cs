using static TorchSharp.torch;
using Nsm.Core;

namespace Nsm.Tasks;

/// <summary>
/// A source of training and evaluation batches. Training batch k is a pure function of the
/// task's seed and k, so a resumed run sees exactly the data an uninterrupted run would.
/// </summary>
public interface ITask
{
    string Name { get; }

    /// <summary>Input and output shape a model must have for this task.</summary>
    TaskSpec Spec { get; }

    /// <summary>Text form of the tokens for prompts and generated output, or null if the task has none.</summary>
    ITokenizer? Tokenizer { get; }

    /// <summary>The training batch for a step (deterministic in seed and step).</summary>
    Batch TrainBatch(long step, int batchSize, Device device);

    /// <summary>The fixed held-out evaluation set, in batches.</summary>
    IEnumerable<Batch> EvalBatches(int batchSize, Device device);
}
