using static TorchSharp.torch;

namespace Nsm.Models.Nsm;

/// <summary>
/// What one NSM layer did in an inspected pass (<see cref="NsmModel.Inspect"/>). Shapes for a
/// batch of B samples, T written tokens (those of the chunks completed; every token in
/// non-causal mode), N tokens read, C writes (chunks), s slots, h heads. Null where the layer
/// has no such thing (no write yet).
/// </summary>
/// <param name="RoutingKind">"token" (each token's routing sums to 1 over the slots and the null slot) or "slot" (each slot's attention sums to 1 over a chunk's tokens and its null key; with cross-layer states the rest went to the lower layer's slots); null before any write.</param>
/// <param name="Routing">(B, T, heads, s): token router: token t's probabilities over the slots (top-k and the null slot applied, before the importance multiplier); slot router: slot j's attention on token t. Zero for padding and inactive slots.</param>
/// <param name="RoutingNull">What the null slot took: token router (B, T, heads); slot router (B, C, heads, s).</param>
/// <param name="ReadWeights">(B, h, N, s): each token's read attention within the slots (sums to 1 over the active slots).</param>
/// <param name="ReadShare">(B, h, N): the share of each token's read that went to the slots rather than its local window (1 without local attention).</param>
/// <param name="Trajectory">(B, C, s, d): the slots after each write; the last entry is the state's slots.</param>
/// <param name="Importance">(s): sigmoid(theta_j).</param>
/// <param name="Active">(s) bool: active slots.</param>
/// <param name="WriteUsage">(s): EMA of the write mass per slot (training statistic).</param>
/// <param name="ReadUsage">(s): EMA of the read mass per slot (training statistic).</param>
/// <param name="WriteEntropy">Mean routing entropy in nats (see <see cref="SlotProbe.MeanWriteEntropy"/>).</param>
public sealed record NsmLayerTrace(
    string? RoutingKind, Tensor? Routing, Tensor? RoutingNull, Tensor? ReadWeights, Tensor? ReadShare, Tensor? Trajectory,
    Tensor Importance, Tensor Active, Tensor WriteUsage, Tensor ReadUsage, double WriteEntropy) : IDisposable
{
    public void Dispose()
    {
        foreach (var t in new[] { Routing, RoutingNull, ReadWeights, ReadShare, Trajectory, Importance, Active, WriteUsage, ReadUsage })
            t?.Dispose();
    }
}

/// <summary>The outputs of an inspected pass (exactly those of forward) and what each layer did, bottom layer first.</summary>
public sealed record NsmInspection(Tensor Output, IReadOnlyList<NsmLayerTrace> Layers) : IDisposable
{
    public void Dispose()
    {
        Output.Dispose();
        foreach (var layer in Layers) layer.Dispose();
    }
}
