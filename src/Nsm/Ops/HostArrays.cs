using static TorchSharp.torch;

namespace Nsm.Ops;

/// <summary>
/// Which tensors the kernels written as plain loops (<see cref="SelectiveScanKernel"/>,
/// <see cref="WkvKernel"/>, <see cref="GruKernel"/>) can take: CPU, float32 or float64. They read
/// and write the tensors' own memory through <see cref="TensorMemory{T}"/>.
/// </summary>
internal static class HostArrays
{
    /// <summary>Whether a tensor can go through the managed kernels: on the CPU, float32 or float64.</summary>
    public static bool Supported(Tensor t) =>
        t.device_type == TorchSharp.DeviceType.CPU && t.dtype is ScalarType.Float32 or ScalarType.Float64;
}
