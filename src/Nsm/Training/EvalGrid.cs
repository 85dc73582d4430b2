using System.Globalization;
using static TorchSharp.torch;
using Nsm.Core;

namespace Nsm.Training;

/// <summary>One cell of an evaluation grid: the task at seq_len tokens (and, for needle tasks, the needle at one depth).</summary>
public sealed record EvalGridCell(int SeqLen, double? Depth, EvalResult Result);

/// <summary>
/// Evaluates a checkpoint over a grid of lengths and (for tasks with a needle, such as passkey)
/// depths, as RULER and BABILong report retrieval: each cell is the checkpoint's evaluation with
/// task.seq_len = length and task.depth_min = task.depth_max = depth, streamed eval.piece tokens
/// at a time when that is above 0. The model is rebuilt per cell from the same weights (its task shape
/// depends on the length).
/// </summary>
public static class EvalGrid
{
    /// <param name="dir">Checkpoint folder.</param>
    /// <param name="overrides">Config overrides applied to every cell (eval.batch and eval.piece among them).</param>
    /// <param name="lengths">task.seq_len of each column, at least one.</param>
    /// <param name="depths">Needle depths in [0, 1] of each row; empty for tasks without one.</param>
    /// <returns>The cells, depth-major (every length of the first depth first).</returns>
    public static IReadOnlyList<EvalGridCell> Evaluate(string dir, IReadOnlyList<string> overrides, IReadOnlyList<int> lengths, IReadOnlyList<double> depths)
    {
        if (lengths.Count == 0) throw new ConfigException("an evaluation grid needs at least one length");
        foreach (var d in depths)
            if (!(d >= 0 && d <= 1)) throw new ConfigException($"a grid depth must be in [0, 1], got {d.ToString(CultureInfo.InvariantCulture)}");
        var cells = new List<EvalGridCell>();
        foreach (var depth in depths.Count == 0 ? [(double?)null] : depths.Select(d => (double?)d))
        {
            foreach (var length in lengths)
            {
                var cellOverrides = overrides.Append($"task.seq_len={length}").ToList();
                if (depth is { } d)
                {
                    var text = d.ToString("R", CultureInfo.InvariantCulture);
                    cellOverrides.AddRange([$"task.depth_min={text}", $"task.depth_max={text}"]);
                }
                var (_, _, result) = CheckpointEvaluation.Evaluate(dir, cellOverrides);
                cells.Add(new EvalGridCell(length, depth, result));
            }
        }
        return cells;
    }

    /// <summary>The mean accuracy over the cells (each cell weighs the same, as in RULER's averages).</summary>
    public static double MeanAccuracy(IReadOnlyList<EvalGridCell> cells) => cells.Average(c => c.Result.Accuracy);
}
