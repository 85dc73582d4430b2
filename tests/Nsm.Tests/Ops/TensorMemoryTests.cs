using static TorchSharp.torch;
using Nsm.Ops;

namespace Nsm.Tests.Ops;

/// <summary><see cref="TensorMemory{T}"/>: the kernels' window onto a tensor's own memory.</summary>
public sealed class TensorMemoryTests
{
    [Fact]
    public void ReadsAndWritesTheTensorItselfIncludingAViewWithAnOffset()
    {
        using var scope = NewDisposeScope();
        var t = arange(12, dtype: ScalarType.Float32).view(3, 4);
        var row = t[1];                                              // contiguous, storage offset 4
        var memory = TensorMemory<float>.Of(row);
        Assert.Equal([4f, 5f, 6f, 7f], memory.Span.ToArray());
        memory.Span[2] = -1f;
        Assert.Equal(-1f, t[1, 2].item<float>());
        Assert.Equal(0, TensorMemory<double>.Of(zeros(0, dtype: ScalarType.Float64)).Length);
    }

    [Fact]
    public void RefusesWhatItCannotMapWithoutACopy()
    {
        using var scope = NewDisposeScope();
        var t = zeros(3, 4);
        var e = Assert.Throws<ArgumentException>(() => TensorMemory<float>.Of(t.t()));
        Assert.Contains("not contiguous", e.Message);
        Assert.Throws<ArgumentException>(() => TensorMemory<double>.Of(t));
        Assert.Throws<ArgumentException>(() => TensorMemory<float>.Of(zeros(2, dtype: ScalarType.Int64)));
    }
}
