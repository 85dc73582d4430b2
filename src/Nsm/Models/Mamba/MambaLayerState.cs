using static TorchSharp.torch;
using Nsm.Core;

namespace Nsm.Models.Mamba;

/// <summary>What one Mamba block carries between calls: the causal convolution's last kernel-1 inputs (B, E, kernel-1) and the selective scan's state (B, E, N).</summary>
public sealed record MambaLayerState(Tensor Conv, Tensor Ssm) : ILayerState
{
    public IEnumerable<(string Name, Tensor Tensor)> Named()
    {
        yield return ("conv", Conv);
        yield return ("ssm", Ssm);
    }

    /// <summary>The state from a layer's named tensors.</summary>
    public static MambaLayerState From(LayerTensors tensors) => new(tensors.Get("conv"), tensors.Get("ssm"));
}
