using static TorchSharp.torch;

namespace Nsm.Core;

/// <summary>
/// One batch of a task.
/// Inputs: (B, N) int64 tokens or (B, N, F) float32 features.
/// Targets: (B, N) int64 per-token targets, or (B) int64 class labels.
/// LossMask: (B, N) bool, true where a per-token target counts (null = all count).
/// PaddingMask: (B, N) bool, true where the input is real (null = no padding).
/// </summary>
public sealed record Batch(Tensor Inputs, Tensor Targets, Tensor? LossMask = null, Tensor? PaddingMask = null) : IDisposable
{
    public long Size => Inputs.shape[0];

    public Batch To(Device device) =>
        new(Inputs.to(device), Targets.to(device), LossMask?.to(device), PaddingMask?.to(device));

    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
        LossMask?.Dispose();
        PaddingMask?.Dispose();
    }
}
