namespace Nsm.Models;

/// <summary>
/// A model whose layers hold state slots: it reports per-layer statistics under the names of
/// <see cref="SlotStatisticKeys"/>, which the trainer logs at every log interval (metrics.jsonl
/// and TensorBoard) and writes into summary.json.
/// </summary>
public interface ISlotStatistics
{
    /// <summary>Makes the next forward pass record what its writes routed (the routing entropy); cheap, and it changes no output.</summary>
    void WatchNextPass();

    /// <summary>
    /// Statistics per layer: active slots, importance mean and minimum over the active slots,
    /// slot-state bytes per sample, and the routing entropy of the watched pass (NaN when no pass
    /// was watched). Stops watching.
    /// </summary>
    IReadOnlyDictionary<string, double> SlotStatistics();

    /// <summary>The importance sigmoid(theta_j) of the active slots of each layer with slots, by its index in the stack, bottom first (for histograms).</summary>
    IReadOnlyList<(int Layer, float[] Importances)> ActiveImportances();
}

/// <summary>
/// The names of the per-layer slot statistics, the same in metrics.jsonl, TensorBoard and
/// summary.json for every model that has slots (docs/interpretability.md).
/// </summary>
public static class SlotStatisticKeys
{
    /// <summary>Slots active in layer i.</summary>
    public static string ActiveSlots(int layer) => $"layers.{layer}.active_slots";

    /// <summary>Mean importance sigmoid(theta) over layer i's active slots.</summary>
    public static string ImportanceMean(int layer) => $"layers.{layer}.importance_mean";

    /// <summary>Smallest importance sigmoid(theta) among layer i's active slots.</summary>
    public static string ImportanceMin(int layer) => $"layers.{layer}.importance_min";

    /// <summary>Mean entropy in nats of layer i's write routing (per token and head for the token router, null slot included).</summary>
    public static string WriteEntropy(int layer) => $"layers.{layer}.write_entropy";

    /// <summary>Bytes of layer i's slots (and LSTM cells) in one sample's streaming state.</summary>
    public static string SlotStateBytes(int layer) => $"layers.{layer}.slot_state_bytes";

    /// <summary>Bytes of layer i's external memory in one sample's state, for models with one.</summary>
    public static string MemoryBytes(int layer) => $"layers.{layer}.memory_bytes";

    /// <summary>The TensorBoard histogram tag of layer i's active importances.</summary>
    public static string ImportanceHistogram(int layer) => $"layers.{layer}.importance";
}
