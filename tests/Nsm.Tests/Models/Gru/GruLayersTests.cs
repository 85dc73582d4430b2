using TorchSharp;
using static TorchSharp.torch;
using Nsm.Models.Gru;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models.Gru;

/// <summary><see cref="GruLayers.Fused"/> (the CPU training form) against libtorch's GRU, the reference.</summary>
public sealed class GruLayersTests : SingleThreadTest
{
    // Widths below, at and across the kernel's vector width (8 float32 lanes with AVX2: 37 is
    // four vectors and a tail); batch 5 on 2 threads splits the rows 2 + 3 between workers.
    [Theory]
    [InlineData(1, 6, 3, 1)]
    [InlineData(7, 6, 3, 1)]
    [InlineData(63, 6, 3, 1)]
    [InlineData(19, 37, 5, 2)]
    [InlineData(4, 16, 1, 2)]
    public void FusedAgreesWithTheNativeGruOnOutputsStatesAndEveryGradient(long length, long hidden, long batch, int threads)
    {
        set_num_threads(threads);
        manual_seed(71 + length);
        using var gru = nn.GRU(5, hidden, 2, batchFirst: true);
        using var scope = NewDisposeScope();
        var x = randn(batch, length, 5);
        var h0 = randn(2, batch, hidden);
        var weights = gru.named_parameters().ToList();
        manual_seed(72);
        var (outputWeights, stateWeights) = (randn(batch, length, hidden), randn(2, batch, hidden));

        (Tensor Y, Tensor H, Dictionary<string, Tensor> Gradients) Run(Func<Tensor, Tensor, (Tensor, Tensor)> f)
        {
            foreach (var (_, p) in weights) p.grad?.zero_();
            var input = x.clone().requires_grad_(true);
            var state = h0.clone().requires_grad_(true);
            var (y, h) = f(input, state);
            ((y * outputWeights).sum() + (h * stateWeights).sum()).backward();
            var gradients = weights.ToDictionary(p => p.name, p => p.parameter.grad!.clone());
            gradients["input"] = input.grad!.clone();
            gradients["h0"] = state.grad!.clone();
            return (y.detach(), h.detach(), gradients);
        }

        var native = Run((input, state) => GruLayers.Native(gru, input, state));
        var fused = Run((input, state) => GruLayers.Fused(gru, input, state, 2, hidden, 0.0, training: true));
        TensorAssert.Close(native.Y, fused.Y, atol: 1e-5, what: "GRU outputs");
        TensorAssert.Close(native.H, fused.H, atol: 1e-5, what: "GRU final states");
        Assert.Equal(10, native.Gradients.Count);
        foreach (var (name, expected) in native.Gradients)
            TensorAssert.Close(expected, fused.Gradients[name], atol: 1e-4, what: $"GRU gradient of {name}");
    }

    [Fact]
    public void FusedFromZeroStateMatchesTheNativeDefault()
    {
        manual_seed(81);
        using var gru = nn.GRU(4, 4, 2, batchFirst: true);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(2, 9, 4);
        var (y, h) = GruLayers.Native(gru, x, null);
        var (fy, fh) = GruLayers.Fused(gru, x, null, 2, 4, 0.5, training: false);
        TensorAssert.Close(y, fy, atol: 1e-5, what: "GRU outputs from zeros");
        TensorAssert.Close(h, fh, atol: 1e-5, what: "GRU final states from zeros");
    }

    [Fact]
    public void FusedDoublePrecisionAgreesTightly()
    {
        manual_seed(91);
        using var gru = nn.GRU(3, 5, 1, batchFirst: true);
        gru.to(ScalarType.Float64);
        using var scope = NewDisposeScope();
        var x = randn(3, 11, 3, dtype: ScalarType.Float64).requires_grad_(true);
        var (y, _) = GruLayers.Fused(gru, x, null, 1, 5, 0.0, training: true);
        y.pow(2).sum().backward();
        var fusedGrad = x.grad!.clone();
        x.grad!.zero_();
        var (reference, _) = GruLayers.Native(gru, x, null);
        reference.pow(2).sum().backward();
        TensorAssert.Close(reference.detach(), y.detach(), atol: 1e-12, what: "float64 GRU outputs");
        TensorAssert.Close(x.grad!, fusedGrad, atol: 1e-12, what: "float64 GRU input gradient");
    }
}
