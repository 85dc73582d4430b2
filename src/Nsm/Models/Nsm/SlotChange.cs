namespace Nsm.Models.Nsm;

/// <summary>What one StateManager pass (<see cref="NsmModel.ManageStates"/>) did.</summary>
/// <param name="Pruned">Slots deactivated and removed, over all layers.</param>
/// <param name="Allocated">Slots appended, over all layers.</param>
/// <param name="Remaps">How the per-slot parameters' rows moved, in order.</param>
public sealed record SlotChange(int Pruned, int Allocated, IReadOnlyList<SlotRemap> Remaps);
