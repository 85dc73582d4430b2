using System.Text.Json.Serialization;

namespace Nsm.Core;

/// <summary>Training-time image augmentation (<c>task.augment</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ImageAugment>))]
public enum ImageAugment
{
    /// <summary>No augmentation.</summary>
    [JsonStringEnumMemberName("none")]
    None,

    /// <summary>Random horizontal flips.</summary>
    [JsonStringEnumMemberName("flip")]
    Flip,

    /// <summary>Random shifts and horizontal flips.</summary>
    [JsonStringEnumMemberName("shift_flip")]
    ShiftFlip,
}
