using System.Text.Json.Serialization;

namespace Nsm.Config;

/// <summary>
/// How hard the generated Pathfinder images are (LRA Pathfinder-32; docs/pathfinder.md). The
/// defaults approximate LRA's easiest 32x32 level. The set itself is sized by num_train and
/// eval_examples and drawn from data_seed.
/// </summary>
public sealed partial record TaskConfig
{
    /// <summary>pathfinder: distractor curves besides the two target curves (each a third of a target's dashes). Default 6.</summary>
    [JsonPropertyName("pathfinder_distractors"), ConfigRange(0, 64), ForTasks("pathfinder")]
    public int PathfinderDistractors { get; init; } = 6;

    /// <summary>pathfinder: pixels sampled per dash of a curve. Default 2.</summary>
    [JsonPropertyName("pathfinder_dash_length"), ConfigRange(1, 8), ForTasks("pathfinder")]
    public int PathfinderDashLength { get; init; } = 2;

    /// <summary>pathfinder: pixels skipped between two dashes (0 draws solid curves). Default 1.</summary>
    [JsonPropertyName("pathfinder_gap_length"), ConfigRange(0, 4), ForTasks("pathfinder")]
    public int PathfinderGapLength { get; init; } = 1;

    /// <summary>pathfinder: dashes of each target curve, LRA's contour length. Default 6.</summary>
    [JsonPropertyName("pathfinder_dashes"), ConfigRange(2, 32), ForTasks("pathfinder")]
    public int PathfinderDashes { get; init; } = 6;
}
