using Nsm.Config;
using Nsm.Core;
using Nsm.Data;
using Nsm.Data.Pathfinder;

namespace Nsm.Tasks;

/// <summary>
/// Pathfinder (Long Range Arena, after Linsley et al. 2018): a 32x32 grey image of dashed curves
/// read as 1,024 pixel tokens (0-255, row-major); say whether the two marked end points lie on
/// one curve (class 1) or on two (class 0). Every example has the same length, so batches carry
/// no padding mask. The set is generated from task.data_seed (num_train training, eval_examples
/// validation and eval_examples test images), so every run sees the same data whatever its
/// train.seed; task.pathfinder_* set the difficulty.
/// </summary>
public sealed class PathfinderTask : SequenceClassificationTask
{
    /// <summary>
    /// One token per grey level: the byte-level pixel sequence of LRA (and of image_format
    /// "pixels"). The generator only draws three levels; the full range keeps the inputs those
    /// of the benchmark, so a checkpoint could read antialiased images too.
    /// </summary>
    public const int VocabSize = 256;

    private readonly Lazy<PathfinderDataset> data;
    private readonly bool useValidation;

    /// <summary>The rules that tie pathfinder's keys together: the curves must fit apart on the grid.</summary>
    public static void Validate(TaskConfig config)
    {
        PathfinderGenerator generator;
        try
        {
            generator = new PathfinderGenerator(Options(config));
        }
        catch (ArgumentException e)
        {
            // Key ranges are checked on loading; what is left is a target curve too short for its markers.
            throw new ConfigException($"'task.pathfinder_dashes' = {config.PathfinderDashes} is too short for two markers: {e.Message}");
        }
        try
        {
            // A few trial images find settings too crowded to draw within milliseconds, before any training starts.
            for (var i = 0; i < 4; i++) generator.Generate(new SeededRandom(config.DataSeed, i));
        }
        catch (InvalidOperationException)
        {
            throw new ConfigException(
                $"'task.pathfinder_distractors' = {config.PathfinderDistractors} curves do not fit apart on the 32x32 grid with pathfinder_dashes = {config.PathfinderDashes}, dash_length = {config.PathfinderDashLength}, gap_length = {config.PathfinderGapLength}; use fewer distractors, shorter curves or smaller gaps");
        }
    }

    public PathfinderTask(TaskConfig config, long seed) : base(seed, config.MaxEvalExamples)
    {
        Validate(config);
        useValidation = config.EvalSplit == EvalSplit.Validation;
        var options = Options(config);
        data = new Lazy<PathfinderDataset>(() => PathfinderDataset.Generate(config.DataSeed, config.NumTrain, config.EvalExamples, config.EvalExamples, options));
        Spec = new TaskSpec(VocabSize, 0, TaskOutput.Classification, 2, Causal: false, MaxLength: options.Size * options.Size);
    }

    public override string Name => "pathfinder";

    public override TaskSpec Spec { get; }

    /// <summary>The generated data (generated on first use).</summary>
    internal PathfinderDataset Data => data.Value;

    /// <summary>The generator's options for a task config.</summary>
    internal static PathfinderOptions Options(TaskConfig config) => new()
    {
        Distractors = config.PathfinderDistractors,
        DashLength = config.PathfinderDashLength,
        GapLength = config.PathfinderGapLength,
        Dashes = config.PathfinderDashes,
    };

    protected override PackedSequences TrainSet => data.Value.Train;

    protected override PackedSequences EvalSet => useValidation ? data.Value.Validation : data.Value.Test;
}
