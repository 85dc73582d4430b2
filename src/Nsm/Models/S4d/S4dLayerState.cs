using static TorchSharp.torch;
using Nsm.Core;

namespace Nsm.Models.S4d;

/// <summary>What one S4D block carries between calls: the diagonal SSM's complex state as real and imaginary parts, (B, H, N/2, 2).</summary>
public sealed record S4dLayerState(Tensor Ssm) : ILayerState
{
    public IEnumerable<(string Name, Tensor Tensor)> Named()
    {
        yield return ("ssm", Ssm);
    }

    /// <summary>The state from a layer's named tensors.</summary>
    public static S4dLayerState From(LayerTensors tensors) => new(tensors.Get("ssm"));
}
