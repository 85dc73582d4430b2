using System.Text.Json.Serialization;

namespace Nsm.Config;

/// <summary>What training does when a step's loss is NaN or infinite (<c>train.nonfinite</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<NonFinitePolicy>))]
public enum NonFinitePolicy
{
    /// <summary>End the run at once; the weights never take that step, and the last checkpoint stays as it was.</summary>
    [JsonStringEnumMemberName("stop")]
    Stop,

    /// <summary>Drop that step's update and go on; stop after <c>Trainer.MaxSkippedInARow</c> such steps in a row.</summary>
    [JsonStringEnumMemberName("skip")]
    Skip,
}
