using System.Text.Json.Serialization;

namespace Nsm.Config;

/// <summary>
/// Settings of the long-context retrieval tasks (RULER-style passkey, BABILong-style babi-haystack;
/// docs/long-context.md).
/// For these tasks <c>task.seq_len</c> is the total number of tokens of an example.
/// </summary>
public sealed partial record TaskConfig
{
    /// <summary>passkey: number of digits of the passkey, scored by exact match of all of them (RULER: 5-7). Default 5.</summary>
    [JsonPropertyName("passkey_digits"), ConfigRange(1, 64), ForTasks("passkey")]
    public int PasskeyDigits { get; init; } = 5;

    /// <summary>
    /// passkey: needles per example (RULER's multi-key needle). With 1 the needle is
    /// [NEEDLE d1..dk] and the question [QUERY d1..dk]. With K > 1 each needle carries its own
    /// name, a distinct letter: [NEEDLE name d1..dk]; the question [QUERY name d1..dk] asks for
    /// one of them and the other K-1 are distractors, all of them at least min_distance before
    /// the question. Default 1.
    /// </summary>
    [JsonPropertyName("passkey_keys"), ConfigRange(1, 26), ForTasks("passkey")]
    public int PasskeyKeys { get; init; } = 1;

    /// <summary>
    /// passkey: values of the asked key (RULER's multi-value needle). With V > 1 the asked key is
    /// stated in V needles, each with its own digits, the first at the drawn depth and the others
    /// wherever they fit; the question [QUERY (name) v1 .. vV] lists every value, in the order the
    /// needles appear, and all V·k digits are scored by exact match. Default 1.
    /// </summary>
    [JsonPropertyName("passkey_values"), ConfigRange(1, 16), ForTasks("passkey")]
    public int PasskeyValues { get; init; } = 1;

    /// <summary>
    /// passkey, babi-haystack: a text file whose bytes are the filler (a contiguous stretch from a
    /// seeded offset, e.g. data/tinyshakespeare/input.txt); empty = noise filler of the task's own
    /// vocabulary: random digits (passkey), random lower-case letters and spaces (babi-haystack). Default "".
    /// </summary>
    [JsonPropertyName("filler_path"), ForTasks("passkey", "babi-haystack")]
    public string FillerPath { get; init; } = "";

    /// <summary>
    /// passkey: the needle's depth (0 = start, 1 = as late as min_distance allows) is drawn uniformly
    /// from [depth_min, depth_max]; babi-haystack: the depth of the story's first fact (1 = the whole
    /// story packed as late as min_distance allows). Default 0.
    /// </summary>
    [JsonPropertyName("depth_min"), ConfigRange(0, 1), ForTasks("passkey", "babi-haystack")]
    public double DepthMin { get; init; }

    /// <summary>passkey, babi-haystack: upper end of the depth range, at least depth_min. Default 1.</summary>
    [JsonPropertyName("depth_max"), ConfigRange(0, 1), ForTasks("passkey", "babi-haystack")]
    public double DepthMax { get; init; } = 1;

    /// <summary>
    /// passkey, babi-haystack: tokens at least between the needle's (the last fact's) last token and
    /// the question's first, so it is outside any local attention window shorter than this. Default 64.
    /// </summary>
    [JsonPropertyName("min_distance"), ConfigRange(1, 100_000_000), ForTasks("passkey", "babi-haystack")]
    public int MinDistance { get; init; } = 64;
}
