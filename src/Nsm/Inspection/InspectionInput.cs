using static TorchSharp.torch;
using Nsm.Core;
using Nsm.Tasks;

namespace Nsm.Inspection;

/// <summary>
/// One sample to inspect: inputs (1, N) token ids or (1, N, F) features, the padding mask
/// (1, N) or null, which positions the task scores, and a label per position for chart axes.
/// </summary>
public sealed record InspectionInput(Tensor Inputs, Tensor? PaddingMask, long[]? TokenIds, bool[]? Scored, string[] Labels) : IDisposable
{
    /// <summary>Positions N.</summary>
    public int Length => Labels.Length;

    /// <summary>The text encoded with the task's tokenizer; one-line ArgumentException for a task without one or a character outside its vocabulary.</summary>
    public static InspectionInput FromText(ITask task, string text)
    {
        var tokenizer = task.Tokenizer ?? throw new ArgumentException($"task '{task.Name}' has no text vocabulary; inspect one of its examples with --example N");
        if (text.Length == 0) throw new ArgumentException("--text is empty");
        long[] ids;
        try
        {
            ids = tokenizer.Encode(text);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--text: {e.Message}");
        }
        if (ids.Length > task.Spec.MaxLength)
            throw new ArgumentException($"--text is {ids.Length} tokens, more than the model's {task.Spec.MaxLength}");
        return new InspectionInput(tensor(ids).unsqueeze(0), null, ids, null, LabelsOf(task, ids));
    }

    /// <summary>Example index of the task's held-out set (0-based); one-line ArgumentException when out of range.</summary>
    public static InspectionInput FromExample(ITask task, int index)
    {
        if (index < 0) throw new ArgumentException($"--example must be 0 or more, got {index}");
        var count = 0;
        foreach (var batch in task.EvalBatches(1, CPU))
        {
            if (count++ != index)
            {
                batch.Dispose();
                continue;
            }
            var ids = batch.Inputs.dtype == ScalarType.Int64 ? batch.Inputs[0].data<long>().ToArray() : null;
            var scored = batch.LossMask?[0].data<bool>().ToArray();
            var labels = ids is null ? Enumerable.Range(0, (int)batch.Inputs.shape[1]).Select(t => $"#{t}").ToArray() : LabelsOf(task, ids);
            if (batch.PaddingMask is { } mask)
            {
                var real = mask[0].data<bool>().ToArray();
                for (var t = 0; t < labels.Length; t++) if (!real[t]) labels[t] = "∅";
            }
            var input = new InspectionInput(batch.Inputs.clone(), batch.PaddingMask?.clone(), ids, scored, labels);
            batch.Dispose();
            return input;
        }
        throw new ArgumentException($"--example {index} is out of range: task '{task.Name}' has {count} evaluation examples (0..{count - 1})");
    }

    /// <summary>Axis labels: the tokenizer's text of each token (space, newline and tab made visible), MQAR's keys and values as k3/v12, other ids as numbers.</summary>
    public static string[] LabelsOf(ITask task, long[] ids) => ids.Select(id => task switch
    {
        MqarTask mqar => id == mqar.Blank ? "·" : id < mqar.KeyVocab ? $"k{id}" : $"v{id - mqar.KeyVocab}",
        _ when task.Tokenizer is { } tokenizer => Visible(tokenizer.Decode([id])),
        _ => id.ToString(),
    }).ToArray();

    private static string Visible(string text) => text switch
    {
        " " => "␣",
        "\n" => "\\n",
        "\t" => "\\t",
        "" => "∅",
        _ => text,
    };

    public void Dispose()
    {
        Inputs.Dispose();
        PaddingMask?.Dispose();
    }
}
