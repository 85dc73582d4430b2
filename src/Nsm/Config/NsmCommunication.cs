using System.Text.Json.Serialization;

namespace Nsm.Config;

/// <summary>State-to-state communication after each NSM write (<c>model.communication</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<NsmCommunication>))]
public enum NsmCommunication
{
    /// <summary>No communication.</summary>
    [JsonStringEnumMemberName("none")]
    None,

    /// <summary>Multi-head self-attention among the active slots.</summary>
    [JsonStringEnumMemberName("dense")]
    Dense,

    /// <summary>Each slot attends to its communication_top_k best slots.</summary>
    [JsonStringEnumMemberName("topk")]
    TopK,
}
