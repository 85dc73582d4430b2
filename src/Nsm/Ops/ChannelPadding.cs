using static TorchSharp.torch;

namespace Nsm.Ops;

/// <summary>
/// The last dimension of a kernel's tensors padded to a multiple of the SIMD width (zeros), and
/// cut back afterwards: what the fused loops (<see cref="SelectiveScanKernel"/>, <see cref="WkvKernel"/>)
/// read and write through <see cref="TensorMemory{T}"/>.
/// </summary>
internal static class ChannelPadding
{
    /// <summary>(..., C) zero-padded to (..., C'), contiguous: the tensor itself when it already is.</summary>
    public static Tensor Pad(Tensor x, int channels) =>
        x.shape[^1] == channels ? x.contiguous() : nn.functional.pad(x, [0, channels - x.shape[^1]]).contiguous();

    /// <summary>A kernel tensor of shape (..., C') as (..., C), a view.</summary>
    public static Tensor Unpad(Tensor x, long channels) => x.shape[^1] == channels ? x : x.narrow(-1, 0, channels);
}
