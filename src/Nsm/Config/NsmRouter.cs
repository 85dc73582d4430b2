using System.Text.Json.Serialization;

namespace Nsm.Config;

/// <summary>How tokens write to the NSM state slots (<c>model.router</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<NsmRouter>))]
public enum NsmRouter
{
    /// <summary>Each token spreads one unit of write mass over the slots with a softmax.</summary>
    [JsonStringEnumMemberName("token")]
    Token,

    /// <summary>Each slot attends over the chunk's tokens (Perceiver-style).</summary>
    [JsonStringEnumMemberName("slot")]
    Slot,
}
