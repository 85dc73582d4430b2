using System.Text.Json.Serialization;

namespace Nsm.Core;

/// <summary>How an image becomes a sequence (<c>task.image_format</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ImageFormat>))]
public enum ImageFormat
{
    /// <summary>One token per pixel intensity (256 values).</summary>
    [JsonStringEnumMemberName("pixels")]
    Pixels,

    /// <summary>One step per pixel with its channel values as features.</summary>
    [JsonStringEnumMemberName("pixel_features")]
    PixelFeatures,

    /// <summary>One step per image row.</summary>
    [JsonStringEnumMemberName("rows")]
    Rows,

    /// <summary>One step per non-overlapping patch.</summary>
    [JsonStringEnumMemberName("patches")]
    Patches,
}
