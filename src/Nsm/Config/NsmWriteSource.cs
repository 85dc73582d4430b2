using System.Text.Json.Serialization;

namespace Nsm.Config;

/// <summary>Which rows the causal NSM writes to its slots (<c>model.write_source</c>); see docs/design.md, sections 2 and 2b.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<NsmWriteSource>))]
public enum NsmWriteSource
{
    /// <summary>
    /// The chunk's outputs (after the read, the out projection and the FFN): every chunk waits for
    /// the previous chunk's slots before it can be written, so the layer runs one loop iteration
    /// of matrix products per chunk (the sequential form, section 2).
    /// </summary>
    [JsonStringEnumMemberName("output")]
    Output,

    /// <summary>
    /// The layer's input: routing and candidates of all chunks in one batched pass, only the slot
    /// recurrence runs per chunk, communication acts on the read view of every chunk state at
    /// once, and the read, out projection and FFN run on the whole sequence (the parallel form,
    /// section 2b).
    /// </summary>
    [JsonStringEnumMemberName("input")]
    Input,
}
