using static TorchSharp.torch;
using TorchSharp.Modules;
using Nsm.Models.Nsm;
using Nsm.Modules;
using Nsm.Ops;
using Nsm.Tests.Support;

namespace Nsm.Tests.Ops;

/// <summary>
/// The rows an NSM write takes (<see cref="StateWritePath.WriteInputs"/>: norm, causal write
/// convolution over the history, chunk-offset embedding) against
/// <see cref="WriteConvolutionReference"/>, on the inputs and the gradients of rows, history,
/// norm gain, kernel and position embedding.
/// </summary>
public sealed class WriteConvolutionReferenceTests : SingleThreadTest
{
    private const long D = 6;

    [Theory]
    [InlineData(1, 4, 3, 0, false)]
    [InlineData(1, 4, 3, 2, false)]
    [InlineData(7, 7, 4, 0, false)]     // one whole chunk
    [InlineData(7, 4, 4, 3, false)]     // a stream call starting mid-chunk
    [InlineData(63, 7, 3, 0, true)]     // whole chunks at once
    [InlineData(63, 8, 5, 5, false)]
    [InlineData(100, 4, 2, 0, true)]
    [InlineData(100, 16, 1, 9, false)]  // kernel 1: no history
    public void WriteInputsAgreeWithReference(long n, long chunk, long kernel, long firstOffset, bool wholeChunks)
    {
        using var scope = NewDisposeScope();
        manual_seed(14);
        var norm = new RmsNorm(D);
        using (no_grad()) norm.parameters().First().copy_(rand(D) + 0.5);
        var conv = kernel > 1 ? new Parameter(randn(kernel, D)) : null;
        var position = new Parameter(randn(chunk, D));
        var path = new StateWritePath(norm, position, conv, null, new TokenRouter(D, 2, 1, 1.0, 0, false), new GruPropagator(D), null, D, chunk);
        var inputs = new[] { randn(2, n, D), randn(2, Math.Max(1, kernel - 1), D) };
        var parameters = new List<(string, Tensor)> { ("norm", norm.parameters().First()), ("position", position) };
        if (conv is not null) parameters.Add(("conv", conv));
        ParameterGradientCheck.Agree(
            x => [path.WriteInputs(x[0], null, firstOffset, null, conv is null ? null : x[1], wholeChunks).Inputs],
            parameters,
            (x, p) => [WriteConvolutionReference.Inputs(x[0], conv is null ? null : x[1], p["norm"], p.GetValueOrDefault("conv"), p["position"], firstOffset)],
            inputs, atol: 2e-5, rtol: 1e-3, what: $"write inputs n={n} c={chunk} k={kernel} offset={firstOffset}");
    }
}
