using System.Text.Json.Serialization;

namespace Nsm.Config;

/// <summary>How continuous inputs become d_model vectors (<c>model.input_stem</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<InputStem>))]
public enum InputStem
{
    /// <summary>One linear projection per step.</summary>
    [JsonStringEnumMemberName("linear")]
    Linear,

    /// <summary>Image patches only: a 3x3 convolution over the re-assembled image, then one projection per patch.</summary>
    [JsonStringEnumMemberName("conv")]
    Conv,
}
