using static TorchSharp.torch;

namespace Nsm.Models.Nsm;

/// <summary>
/// The per-slot terms that the read, the write and the communication of one forward pass
/// need, computed once per pass instead of once per chunk (see <see cref="StateManager.Context"/>).
/// </summary>
/// <param name="LogitBias">(s): log sigmoid(theta_j) for active slots, a large negative number for inactive ones.</param>
/// <param name="WriteScale">(s): sigmoid(theta_j) for active slots, 0 for inactive ones.</param>
/// <param name="Inactive">(s) bool: true for inactive slots.</param>
/// <param name="ActiveWeight">(s): 1 for active slots, 0 for inactive ones, in the slots' dtype.</param>
/// <param name="Probe">The layer's probe, told what the writer routed; null when none is attached.</param>
public sealed record SlotContext(Tensor LogitBias, Tensor WriteScale, Tensor Inactive, Tensor ActiveWeight, SlotProbe? Probe = null);
