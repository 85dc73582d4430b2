namespace Nsm.Models;

/// <summary>
/// A model whose layers change their number of state slots while it trains (the adaptive NSM):
/// slots are pruned by importance and allocated when the active ones saturate, and the tensors
/// really shrink and grow, so a pruned slot stops costing compute. The trainer calls
/// <see cref="ManageSlots"/> between optimizer steps and moves the optimizer's moments with the
/// returned <see cref="SlotRemap"/>s; checkpoints record <see cref="SlotCounts"/> so the
/// model can be rebuilt at its real size.
/// </summary>
public interface IAdaptiveSlots
{
    /// <summary>Slots each slot layer holds now (every one of them computed), by its index in the stack ("layers.&lt;i&gt;"), bottom first.</summary>
    IReadOnlyList<(int Layer, long Slots)> SlotCounts { get; }

    /// <summary>Training steps between two calls of <see cref="ManageSlots"/>; 0 = slot counts never change in training.</summary>
    int ManageSlotsEvery { get; }

    /// <summary>
    /// Makes each listed layer hold its first Slots slots, all active (to load a checkpoint saved
    /// with those counts). A count above the layer's capacity or an unknown layer is an error.
    /// </summary>
    void SetSlotCounts(IReadOnlyList<(int Layer, long Slots)> counts);

    /// <summary>
    /// One management pass: prune slots of low importance and remove them, allocate a slot where
    /// the active ones are saturated. Returns how the slot rows of every changed parameter moved,
    /// in the order they moved.
    /// </summary>
    IReadOnlyList<SlotRemap> ManageSlots();

    /// <summary>Removes every inactive slot; returns how the parameters' slot rows moved.</summary>
    IReadOnlyList<SlotRemap> Compact();
}
