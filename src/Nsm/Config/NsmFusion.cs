using System.Text.Json.Serialization;

namespace Nsm.Config;

/// <summary>How the NSM combines its local and slot reads (<c>model.fusion</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<NsmFusion>))]
public enum NsmFusion
{
    /// <summary>One softmax per head over local and slot keys together.</summary>
    [JsonStringEnumMemberName("joint")]
    Joint,

    /// <summary>Two attentions mixed by a learned sigmoid gate per token and channel.</summary>
    [JsonStringEnumMemberName("gated")]
    Gated,
}
