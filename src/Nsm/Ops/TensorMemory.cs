using System.Buffers;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Nsm.Ops;

/// <summary>
/// The elements of a contiguous CPU tensor as <see cref="Memory{T}"/>, without a copy, for the
/// kernels written as plain loops (<see cref="GruKernel"/>): their workers take spans of it, and
/// what they write lands in the tensor. Copies into managed arrays (the kernels' first form) cost,
/// at the sizes of a training step (millions of floats per tensor), as much as the loops
/// themselves with the page faults of freshly allocated arrays, and their managed allocations
/// can overrun the no-GC region of <see cref="Nsm.Core.GcPause"/> and let a collection run
/// mid-step (an RWKV run of `nsm bench`, whose WKV kernel still copied, failed with TorchSharp's
/// "Expected false to be true", the symptom of such a collection). The tensor must outlive every use of
/// the memory; pinning is not supported (libtorch's CPU memory does not move).
/// </summary>
internal sealed class TensorMemory<T> : MemoryManager<T> where T : unmanaged
{
    private readonly Tensor tensor;

    private TensorMemory(Tensor tensor) => this.tensor = tensor;

    /// <summary>The memory of t, which must be a contiguous CPU tensor of element type T.</summary>
    public static Memory<T> Of(Tensor t)
    {
        if (!HostArrays.Supported(t) || !t.is_contiguous())
            throw new ArgumentException($"TensorMemory needs a contiguous CPU float32 or float64 tensor, not {t.device_type} {t.dtype}{(t.is_contiguous() ? "" : " (not contiguous)")}");
        if ((t.dtype == ScalarType.Float64) != (typeof(T) == typeof(double)))
            throw new ArgumentException($"TensorMemory<{typeof(T).Name}> over a {t.dtype} tensor");
        return new TensorMemory<T>(t).Memory;
    }

    public override Span<T> GetSpan() => tensor.numel() == 0 ? Span<T>.Empty : MemoryMarshal.Cast<byte, T>(tensor.bytes);

    public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException("TensorMemory is not pinned");

    public override void Unpin() { }

    protected override void Dispose(bool disposing) { }
}
