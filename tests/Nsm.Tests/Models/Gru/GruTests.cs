using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models.Gru;

public sealed class GruTests : SingleThreadTest
{
    /// <summary>
    /// Plain GRU equations with the native module's weights (PyTorch's gate order r, z, n, with the
    /// reset gate applied to the recurrent term after its bias): the reference for TorchSharp's fused
    /// GRU as the model uses it (batch-first, (L, B, d) state).
    /// </summary>
    private static Tensor Reference(GRU gru, Tensor x, Tensor h0, long layers)
    {
        var parameters = gru.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var input = x;
        for (var l = 0; l < layers; l++)
        {
            var h = h0[l];
            var outputs = new List<Tensor>();
            for (long t = 0; t < x.shape[1]; t++)
            {
                var fromInput = nn.functional.linear(input.select(1, t), parameters[$"weight_ih_l{l}"], parameters[$"bias_ih_l{l}"]).chunk(3, -1);
                var fromState = nn.functional.linear(h, parameters[$"weight_hh_l{l}"], parameters[$"bias_hh_l{l}"]).chunk(3, -1);
                var r = sigmoid(fromInput[0] + fromState[0]);
                var z = sigmoid(fromInput[1] + fromState[1]);
                var n = tanh(fromInput[2] + r * fromState[2]);
                h = (1 - z) * n + z * h;
                outputs.Add(h);
            }
            input = stack(outputs, 1);
        }
        return input;
    }

    [Fact]
    public void NativeGruAgreesWithTheEquationsOnOutputsAndGradients()
    {
        manual_seed(61);
        using var gru = nn.GRU(6, 6, 2, batchFirst: true);
        using var scope = NewDisposeScope();
        var x = randn(3, 17, 6);
        var h0 = randn(2, 3, 6);
        var weights = gru.parameters().ToList();

        (Tensor Output, Tensor[] Gradients) Run(Func<Tensor, Tensor, Tensor> f)
        {
            foreach (var p in weights) p.grad?.zero_();
            var input = x.clone().requires_grad_(true);
            var state = h0.clone().requires_grad_(true);
            var y = f(input, state);
            manual_seed(62);
            (y * randn(y.shape)).sum().backward();
            return (y.detach(), weights.Select(p => p.grad!.clone()).Append(input.grad!.clone()).Append(state.grad!.clone()).ToArray());
        }

        var (native, nativeGrads) = Run((input, state) => gru.forward(input, state).Item1);
        var (reference, referenceGrads) = Run((input, state) => Reference(gru, input, state, 2));
        TensorAssert.Close(reference, native, atol: 1e-5, what: "GRU outputs");
        Assert.Equal(weights.Count + 2, nativeGrads.Length);
        for (var i = 0; i < nativeGrads.Length; i++)
            TensorAssert.Close(referenceGrads[i], nativeGrads[i], atol: 1e-5, what: $"GRU gradient {i}");
    }

    [Fact]
    public void StreamingStateIsOneHiddenVectorPerLayer()
    {
        using var model = BaselineFixtures.Build(BaselineFixtures.Tiny("gru"), BaselineFixtures.LanguageModel());
        using var state = ((global::Nsm.Models.IStreamingModel)model).InitialState(3);
        Assert.Equal(new[] { "h" }, state.Tensors.Keys.ToArray());
        Assert.Equal(new long[] { 2, 3, 16 }, state["h"].shape);
    }
}
