using System.Text.Json.Serialization;

namespace Nsm.Config;

/// <summary>Which held-out split a task evaluates on (<c>task.eval_split</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EvalSplit>))]
public enum EvalSplit
{
    /// <summary>The test split.</summary>
    [JsonStringEnumMemberName("test")]
    Test,

    /// <summary>A held-out part of the training data (task.validation_fraction).</summary>
    [JsonStringEnumMemberName("validation")]
    Validation,
}
