using static TorchSharp.torch;

namespace Nsm.Tests.Support;

public static class TensorAssert
{
    /// <summary>Asserts |a - b| <= atol + rtol * |b| everywhere, reporting the largest difference.</summary>
    public static void Close(Tensor expected, Tensor actual, double atol = 1e-5, double rtol = 1e-4, string what = "tensors")
    {
        Xunit.Assert.Equal(expected.shape, actual.shape);
        using var scope = NewDisposeScope();
        var diff = (expected.to(ScalarType.Float64) - actual.to(ScalarType.Float64)).abs();
        var bound = expected.to(ScalarType.Float64).abs() * rtol + atol;
        var worst = diff.max().item<double>();
        Xunit.Assert.True(diff.le(bound).all().item<bool>(), $"{what} differ: max abs difference {worst:E3} (atol {atol:E1}, rtol {rtol:E1})");
    }
}
