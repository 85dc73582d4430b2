using static TorchSharp.torch;
using Nsm.Ops;
using Nsm.Tests.Support;

namespace Nsm.Tests.Ops;

public sealed class SelectiveScanTests : SingleThreadTest
{
    /// <summary>u, delta, A, B, C and a non-zero initial state for batch 2, D = 5 channels, N = 4.</summary>
    private static Tensor[] Inputs(long length)
    {
        manual_seed(31);
        return
        [
            randn(2, length, 5),
            nn.functional.softplus(randn(2, length, 5) - 1),
            -exp(randn(5, 4)),
            randn(2, length, 4),
            randn(2, length, 4),
            randn(2, 5, 4),
        ];
    }

    private static Tensor[] Reference(Tensor[] x)
    {
        var (y, h) = SelectiveScan.Reference(x[0], x[1], x[2], x[3], x[4], x[5]);
        return [y, h];
    }

    private static Func<Tensor[], Tensor[]> Chunked(long chunk) => x =>
    {
        var (y, h) = SelectiveScan.Chunked(x[0], x[1], x[2], x[3], x[4], x[5], chunk);
        return [y, h];
    };

    [Theory]
    [InlineData(63, 8)]
    [InlineData(100, 10)]
    [InlineData(100, 16)]
    [InlineData(63, 1)]
    [InlineData(63, 63)]
    [InlineData(30, 200)]
    public void ChunkedAgreesWithReferenceOnOutputsAndGradients(int length, int chunk)
    {
        GradientCheck.Agree(Reference, Chunked(chunk), Inputs(length), atol: 1e-5, rtol: 1e-4, what: $"scan L={length} chunk={chunk}");
    }

    [Fact]
    public void LongStrongDecaysStayFinite()
    {
        // Large steps and |A| make exp(-cumsum(delta A)) overflow; the chunked scan only multiplies decays <= 1.
        var x = Inputs(100);
        x[1] = x[1] * 50;
        using var scope = NewDisposeScope();
        var reference = Reference(x)[0];
        var chunked = Chunked(10)(x)[0];
        Assert.True(chunked.isfinite().all().item<bool>(), "chunked scan overflowed");
        TensorAssert.Close(reference, chunked, atol: 1e-5, what: "scan with strong decays");
    }
}
