using Nsm.Config;
using Nsm.Core;
using Nsm.Data;
using Nsm.Data.ListOps;

namespace Nsm.Tasks;

/// <summary>
/// ListOps (Long Range Arena): classify the value 0-9 of a nested MIN/MAX/MED/SM expression
/// written without parentheses. Sequences have min_length &lt; length &lt; max_length tokens
/// (LRA: 500 and 2000) and are padded per batch. The set is generated from task.data_seed
/// (num_train training, eval_examples validation and eval_examples test trees), so every run
/// sees the same data whatever its train.seed.
/// </summary>
public sealed class ListOpsTask : SequenceClassificationTask
{
    private readonly Lazy<ListOpsDataset> data;
    private readonly bool useValidation;

    /// <summary>The rules that tie listops's keys together.</summary>
    public static void Validate(TaskConfig config)
    {
        if (config.MaxLength - config.MinLength < 2)
            throw new ConfigException($"'task.max_length' = {config.MaxLength} must exceed 'task.min_length' = {config.MinLength} by at least 2 (ListOps keeps min_length < length < max_length)");
    }

    public ListOpsTask(TaskConfig config, long seed) : base(seed, config.MaxEvalExamples)
    {
        Validate(config);
        useValidation = config.EvalSplit == EvalSplit.Validation;
        data = new Lazy<ListOpsDataset>(() => ListOpsDataset.Generate(config.DataSeed, config.NumTrain, config.EvalExamples, config.EvalExamples,
            config.MinLength, config.MaxLength, config.MaxDepth, config.MaxArgs));
        Spec = new TaskSpec(ListOpsVocabulary.Size, 0, TaskOutput.Classification, 10, Causal: false, MaxLength: config.MaxLength - 1);
    }

    public override string Name => "listops";

    public override TaskSpec Spec { get; }

    /// <summary>The generated data (generated on first use).</summary>
    public ListOpsDataset Data => data.Value;

    protected override PackedSequences TrainSet => data.Value.Train;

    protected override PackedSequences EvalSet => useValidation ? data.Value.Validation : data.Value.Test;
}
