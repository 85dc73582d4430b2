using System.Text.Json.Serialization;

namespace Nsm.Config;

/// <summary>
/// The <c>eval</c> section: how a saved run is evaluated (<c>nsm eval</c>; its <c>--piece</c> and
/// <c>--batch</c> options set these keys). The periodic evaluation during training uses
/// <c>batch</c> too.
/// </summary>
public sealed record EvalConfig
{
    /// <summary>
    /// Stream each example through the model this many tokens at a time with the carried state
    /// (streaming model kinds; memory stays flat in the length); 0 = the whole sequence in one call.
    /// Default 0.
    /// </summary>
    [JsonPropertyName("piece"), ConfigRange(0, int.MaxValue)]
    public int Piece { get; init; }

    /// <summary>Examples per evaluation batch; 0 = train.batch_size. Default 0.</summary>
    [JsonPropertyName("batch"), ConfigRange(0, 1_000_000)]
    public int Batch { get; init; }

    /// <summary>Examples per evaluation batch for a run of this config: batch, or train.batch_size when it is 0.</summary>
    public int BatchFor(TrainConfig train) => Batch > 0 ? Batch : train.BatchSize;
}
