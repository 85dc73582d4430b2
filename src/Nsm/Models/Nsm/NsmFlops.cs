using Nsm.Config;
using Nsm.Core;

namespace Nsm.Models.Nsm;

/// <summary>
/// The NSM's FLOP formula (<see cref="NsmModel.EstimateFlops"/>): how often each weight runs per
/// token, and the mixing work per token and layer.
/// </summary>
internal static class NsmFlops
{
    public const string Formula = "dense (slot-side weights x s/c) + L·[4d(w+c) local + 4ds read + 2ds write (4ds slot router) + 4ds²/c communication + memory 4d(m+R) read, 4mw(W+R)/c addressing]; hybrid T layers 4d·(N+1)/2, L layers 4d(w+c)";

    /// <summary>The stack index of the layer a parameter name ("layers.&lt;i&gt;.…") belongs to; -1 for names outside the layers.</summary>
    private static int LayerOf(string name)
    {
        if (!name.StartsWith("layers.", StringComparison.Ordinal)) return -1;
        var end = name.IndexOf('.', 7);
        return int.TryParse(name.AsSpan(7, (end < 0 ? name.Length : end) - 7), out var i) ? i : -1;
    }

    private static double SlotsAt(IReadOnlyList<double> slots, int layer) => layer >= 0 && layer < slots.Count ? slots[layer] : 0;

    /// <summary>
    /// Token-side projections run for every token; the slot side (state read keys and values,
    /// propagator, communication, slot-router queries) runs for s slots once per chunk of c tokens
    /// (causal) or once per sequence (non-causal); initial slots and write positions are added, not
    /// multiplied. slots: the slots each layer holds, by stack index (inactive slots are masked,
    /// not skipped, so they count).
    /// </summary>
    public static double WeightMultiplier(ModelConfig c, TaskSpec spec, long n, string name, IReadOnlyList<double> slots)
    {
        if (name.Contains("state_init") || name.Contains("write_position") || name.Contains("slot_pool") || name.Contains("memory_init")) return 0;
        var per = spec.Causal ? Math.Min(c.Nsm.ChunkSize, Math.Max(1, n)) : Math.Max(1, n);
        var layer = LayerOf(name);
        // The memory's controller runs once per chunk: its queries over s slots, each head's projection once, W_o over m + R rows.
        if (name.Contains(".memory.head_queries") || name.Contains(".memory.controller_norm")) return SlotsAt(slots, layer) / per;
        if (name.Contains(".memory.out_proj")) return (c.Nsm.MemoryRows + c.Nsm.MemoryReadsPerChunk) / per;
        if (name.Contains(".memory.")) return 1 / per;
        if (name.Contains(".state_read.") || name.Contains(".propagator.") || name.Contains(".communication.") || name.Contains(".writer.query_proj")) return SlotsAt(slots, layer) / per;
        // With cross-layer states the writer also takes the lower layer's slots as rows of each chunk (counted as this layer's s).
        if (name.Contains(".writer.") && c.Nsm.CrossLayerStates && spec.Causal) return 1 + SlotsAt(slots, layer) / per;
        return 1;
    }

    /// <summary>
    /// Mixing per token and layer: local attention scores and values over its window of w + c keys
    /// (w + c + w bidirectional), the read over s slots, the routing sum into s slots (a slot
    /// router's attention over the chunk instead), slot-to-slot communication once per chunk, and
    /// with a memory the read over its m + R rows and the heads' addressing once per chunk.
    /// slots: the slots each layer holds, by stack index.
    /// </summary>
    public static double Mixing(ModelConfig c, TaskSpec spec, long n, IReadOnlyList<double> slots)
    {
        double d = c.DModel, chunk = Math.Min(c.Nsm.ChunkSize, Math.Max(1, n)), w = c.Nsm.Window;
        var local = c.Nsm.LocalAttention ? 4 * d * (spec.Causal ? w + chunk : 2 * w + chunk) : 0;
        double SlotLayer(double s)
        {
            var read = 4 * d * s;
            var write = c.Nsm.Router == NsmRouter.Slot ? 4 * d * s : 2 * d * s;
            var partners = c.Nsm.Communication switch { NsmCommunication.Dense => s, NsmCommunication.TopK => Math.Min(s, c.Nsm.CommunicationTopK), _ => 0 };
            var communication = 4 * d * s * partners / (spec.Causal ? chunk : Math.Max(1, n));
            var memory = c.Nsm.MemoryRows == 0 ? 0 : 4 * d * (c.Nsm.MemoryRows + c.Nsm.MemoryReadsPerChunk)
                + 4.0 * c.Nsm.MemoryRows * c.Nsm.MemoryWidth * (c.Nsm.MemoryWritesPerChunk + c.Nsm.MemoryReadsPerChunk) / (spec.Causal ? chunk : Math.Max(1, n));
            return local + read + write + communication + memory;
        }
        // Hybrid layers: T attends to every earlier key, (n+1)/2 on average (n bidirectional); L to its window.
        var full = 4 * d * (spec.Causal ? (n + 1) / 2.0 : n);
        var window = 4 * d * (spec.Causal ? w + chunk : 2 * w + chunk);
        return c.Nsm.Pattern(c.NumLayers).Select((letter, i) => letter switch { 'T' => full, 'L' => window, _ => SlotLayer(slots[i]) }).Sum();
    }
}
