using System.Text.Json.Serialization;

namespace Nsm.Config;

/// <summary>Initialisation of S4D's diagonal A (<c>model.s4d_init</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<S4dInit>))]
public enum S4dInit
{
    /// <summary>S4D-Lin: A_n = -1/2 + i pi n.</summary>
    [JsonStringEnumMemberName("lin")]
    Lin,

    /// <summary>S4D-Inv.</summary>
    [JsonStringEnumMemberName("inv")]
    Inv,
}
