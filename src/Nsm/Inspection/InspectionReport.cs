using System.Text.Json.Serialization;

namespace Nsm.Inspection;

/// <summary>
/// What <c>nsm inspect</c> writes to inspect.json (schema in docs/interpretability.md). Arrays
/// are rows-first; "range" positions are [RangeStart, RangeEnd) of the inspected sample; the
/// model always ran over the whole sample.
/// </summary>
public sealed record InspectionReport(
    [property: JsonPropertyName("schema")] int Schema,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("task")] string Task,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("length")] int Length,
    [property: JsonPropertyName("range")] int[] Range,
    [property: JsonPropertyName("labels")] string[] Labels,
    [property: JsonPropertyName("tokens")] long[]? Tokens,
    [property: JsonPropertyName("nsm_layers")] NsmLayerReport[]? NsmLayers,
    [property: JsonPropertyName("attention_layers")] AttentionLayerReport[]? AttentionLayers)
{
    public const int CurrentSchema = 1;
}

/// <summary>One NSM layer. T: the range's written tokens (those of completed chunks), R: the range's tokens, C: writes (chunks), s: slots.</summary>
public sealed record NsmLayerReport(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("routing_kind")] string RoutingKind,
    [property: JsonPropertyName("chunk_size")] long ChunkSize,
    [property: JsonPropertyName("written_range")] int[] WrittenRange,
    [property: JsonPropertyName("routing")] float[][] Routing,
    [property: JsonPropertyName("routing_heads")] float[][][] RoutingHeads,
    [property: JsonPropertyName("routing_null")] float[]? RoutingNull,
    [property: JsonPropertyName("routing_null_per_slot")] float[][]? RoutingNullPerSlot,
    [property: JsonPropertyName("read")] float[][] Read,
    [property: JsonPropertyName("read_heads")] float[][][] ReadHeads,
    [property: JsonPropertyName("read_share")] float[] ReadShare,
    [property: JsonPropertyName("slot_norm")] float[][] SlotNorm,
    [property: JsonPropertyName("slot_change")] float[][] SlotChange,
    [property: JsonPropertyName("slot_similarity")] float[][] SlotSimilarity,
    [property: JsonPropertyName("importance")] float[] Importance,
    [property: JsonPropertyName("active")] bool[] Active,
    [property: JsonPropertyName("write_usage")] float[] WriteUsage,
    [property: JsonPropertyName("read_usage")] float[] ReadUsage,
    [property: JsonPropertyName("summary")] LayerSummary Summary);

/// <summary>The numbers of one NSM layer over the whole sample (not only the range).</summary>
public sealed record LayerSummary(
    [property: JsonPropertyName("routing_entropy")] double RoutingEntropy,
    [property: JsonPropertyName("effective_slots_per_token")] double EffectiveSlotsPerToken,
    [property: JsonPropertyName("slots_used")] double SlotsUsed,
    [property: JsonPropertyName("active_slots")] int ActiveSlots,
    [property: JsonPropertyName("nmi_top_slot_token")] double NmiTopSlotToken,
    [property: JsonPropertyName("nmi_top_slot_chunk_offset")] double NmiTopSlotChunkOffset,
    [property: JsonPropertyName("mean_read_share")] double MeanReadShare,
    [property: JsonPropertyName("mqar_queries")] int? MqarQueries,
    [property: JsonPropertyName("mqar_query_reads_key_slot")] double? MqarQueryReadsKeySlot,
    [property: JsonPropertyName("mqar_query_reads_value_slot")] double? MqarQueryReadsValueSlot);

/// <summary>One Transformer layer: attention of the range's queries over the range's keys, mean over heads (R x R), and per head.</summary>
public sealed record AttentionLayerReport(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("attention")] float[][] Attention,
    [property: JsonPropertyName("attention_heads")] float[][][] AttentionHeads);
