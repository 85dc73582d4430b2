using System.Text.Json.Serialization;

namespace Nsm.Config;

/// <summary>How a bAbI answer is predicted (<c>task.babi_answer</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BabiAnswer>))]
public enum BabiAnswer
{
    /// <summary>One classification over the answer words.</summary>
    [JsonStringEnumMemberName("classify")]
    Classify,

    /// <summary>The answer as the next token of the sequence.</summary>
    [JsonStringEnumMemberName("next_token")]
    NextToken,
}
