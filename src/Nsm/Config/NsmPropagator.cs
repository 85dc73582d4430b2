using System.Text.Json.Serialization;

namespace Nsm.Config;

/// <summary>The per-slot update rule of the NSM (<c>model.propagator</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<NsmPropagator>))]
public enum NsmPropagator
{
    /// <summary>GRU-style update scaled by the write mass.</summary>
    [JsonStringEnumMemberName("gru")]
    Gru,

    /// <summary>An LSTM cell with its own cell state.</summary>
    [JsonStringEnumMemberName("lstm")]
    Lstm,

    /// <summary>S = f*S + (1-f)*U with a data-dependent forget gate f.</summary>
    [JsonStringEnumMemberName("linear")]
    Linear,

    /// <summary>
    /// S = a*S + (1-a)*U with a decay a that depends only on what was written, not on S: a linear
    /// recurrence whose gates are known before the loop (as in GLA and Mamba).
    /// </summary>
    [JsonStringEnumMemberName("decay")]
    Decay,
}
