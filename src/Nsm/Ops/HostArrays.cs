using static TorchSharp.torch;

namespace Nsm.Ops;

/// <summary>
/// Copies between CPU tensors and managed arrays, for the kernels written as plain loops
/// (<see cref="SelectiveScanKernel"/>). Float32 and float64 only.
/// </summary>
internal static class HostArrays
{
    /// <summary>Whether a tensor can go through the managed kernels: on the CPU, float32 or float64.</summary>
    public static bool Supported(Tensor t) =>
        t.device_type == TorchSharp.DeviceType.CPU && t.dtype is ScalarType.Float32 or ScalarType.Float64;

    /// <summary>The elements in row-major order (a copy).</summary>
    public static T[] Read<T>(Tensor t) where T : unmanaged
    {
        // A 2-D contiguous view takes TensorAccessor's one-span copy; 1-D goes element by element.
        using var flat = t.contiguous().view(1, -1);
        using var accessor = flat.data<T>();
        return accessor.ToArray();
    }

    /// <summary>A new CPU tensor of the given shape holding a copy of the array.</summary>
    public static Tensor Write<T>(T[] data, long[] shape) where T : unmanaged
    {
        // clone: the result owns its memory, whether or not tensor() shares the array's.
        using var wrapped = data switch
        {
            float[] f => tensor(f, shape),
            double[] d => tensor(d, shape),
            _ => throw new NotSupportedException($"managed kernels take float32 or float64, not {typeof(T).Name}"),
        };
        return wrapped.clone();
    }
}
