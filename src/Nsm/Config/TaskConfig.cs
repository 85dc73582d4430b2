using System.Text.Json.Serialization;

namespace Nsm.Config;

/// <summary>
/// The <c>task</c> section: which data the model sees. Settings of individual tasks live in
/// the other parts of this partial record (TaskConfig.*.cs).
/// </summary>
public sealed partial record TaskConfig
{
    /// <summary>Which task to run; see <c>Nsm.Registry.TaskRegistry</c>.</summary>
    [JsonPropertyName("name")]
    public string Name { get; init; } = "copy";

    /// <summary>Number of distinct content symbols of synthetic tasks (special tokens come on top).</summary>
    [JsonPropertyName("vocab_size"), ConfigRange(2, 1_000_000), ForTasks("copy", "selective_copy", "repeat_copy")]
    public int VocabSize { get; init; } = 16;

    /// <summary>Length of the sequence to copy or of the content part of synthetic tasks.</summary>
    [JsonPropertyName("seq_len"), ConfigRange(1, 1_000_000), ForTasks("copy", "selective_copy", "repeat_copy", "mqar", "char_lm", "wikitext", "passkey", "babi-haystack")]
    public int SeqLen { get; init; } = 16;

    /// <summary>Blank tokens between the sequence and the copy marker (copy tasks).</summary>
    [JsonPropertyName("delay"), ConfigRange(0, 1_000_000), ForTasks("copy")]
    public int Delay { get; init; } = 0;

    /// <summary>Number of held-out evaluation examples (fixed, drawn from a separate seed).</summary>
    [JsonPropertyName("eval_examples"), ConfigRange(1, 10_000_000), ForTasks("copy", "selective_copy", "repeat_copy", "associative_recall", "mqar", "listops", "pathfinder", "babi", "passkey", "babi-haystack")]
    public int EvalExamples { get; init; } = 512;
}
