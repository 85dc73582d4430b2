using TorchSharp;
using static TorchSharp.torch;
using Nsm.Ops;
using Nsm.Tests.Support;

namespace Nsm.Tests.Ops;

public sealed class SelectiveScanTests : SingleThreadTest
{
    /// <summary>u, delta, A, B, C and a non-zero initial state for batch 2, D channels (5 unless given), N = 4.</summary>
    private static Tensor[] Inputs(long length, long channels = 5)
    {
        manual_seed(31);
        return
        [
            randn(2, length, channels),
            nn.functional.softplus(randn(2, length, channels) - 1),
            -exp(randn(channels, 4)),
            randn(2, length, 4),
            randn(2, length, 4),
            randn(2, channels, 4),
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

    private static Tensor[] Fused(Tensor[] x)
    {
        var (y, h) = SelectiveScan.Fused(x[0], x[1], x[2], x[3], x[4], x[5]);
        return [y, h];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(63)]
    [InlineData(100)]
    public void FusedAgreesWithReferenceOnOutputsAndGradients(int length)
    {
        GradientCheck.Agree(Reference, Fused, Inputs(length), atol: 1e-5, rtol: 1e-4, what: $"fused scan L={length}");
    }

    // D = 16 is a whole number of vectors (float32: 8 or 16 lanes), so the fused scan reads the
    // inputs' own memory instead of a padded copy; u as a transposed view, as the mixer passes it.
    [Fact]
    public void FusedAgreesWithReferenceWithoutPaddingOnAStridedInput()
    {
        var x = Inputs(29, channels: 16);
        x[0] = x[0].transpose(1, 2).contiguous().transpose(1, 2);
        Assert.False(x[0].is_contiguous());
        GradientCheck.Agree(Reference, Fused, x, atol: 1e-5, rtol: 1e-4, what: "fused scan D=16");
    }

    [Fact]
    public void FusedAgreesWithReferenceInFloat64()
    {
        // Float64 leaves only the order of the sums: a wrong gradient term cannot hide in rounding.
        var x = Inputs(37).Select(t => t.to(ScalarType.Float64)).ToArray();
        GradientCheck.Agree(Reference, Fused, x, atol: 1e-10, rtol: 1e-10, what: "fused scan float64");
    }

    [Fact]
    public void FusedBackwardWorksWhenTheFinalStateIsDroppedAndFreed()
    {
        // Training discards the final state inside a dispose scope: its gradient is missing, and the
        // freed output must not be read to make one.
        var x = Inputs(9).Select(t => t.detach().requires_grad_(true)).ToArray();
        Tensor y;
        using (var scope = NewDisposeScope())
        {
            var (output, _) = SelectiveScan.Fused(x[0], x[1], x[2], x[3], x[4], x[5]);
            y = output.MoveToOuterDisposeScope();
        }
        y.sum().backward();
        var (expected, _) = SelectiveScan.Reference(x[0].detach(), x[1].detach(), x[2].detach(), x[3].detach(), x[4].detach(), x[5].detach());
        TensorAssert.Close(expected, y.detach(), atol: 1e-5, what: "fused output");
        foreach (var input in x)
            Assert.True(input.grad is not null && input.grad.isfinite().all().item<bool>(), "an input got no finite gradient");
        // The state enters the output: its gradient is not zero.
        Assert.True(x[5].grad!.abs().sum().item<float>() > 0, "h0 got a zero gradient");
    }

    [Fact]
    public void FusedSplitsRowsOverThreadsWithoutChangingResults()
    {
        // Two workers sum their partial gradients of B, C and A: the split must not drop or double a row.
        var x = Inputs(50).Select(t => t.to(ScalarType.Float64)).ToArray();
        var previous = torch.get_num_threads();
        try
        {
            torch.set_num_threads(2);
            GradientCheck.Agree(Reference, Fused, x, atol: 1e-10, rtol: 1e-10, what: "fused scan, 2 threads");
        }
        finally { torch.set_num_threads(previous); }
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
        var fused = Fused(x)[0];
        Assert.True(chunked.isfinite().all().item<bool>(), "chunked scan overflowed");
        Assert.True(fused.isfinite().all().item<bool>(), "fused scan overflowed");
        TensorAssert.Close(reference, chunked, atol: 1e-5, what: "scan with strong decays");
        TensorAssert.Close(reference, fused, atol: 1e-5, what: "fused scan with strong decays");
    }
}
