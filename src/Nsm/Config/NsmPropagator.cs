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
}
