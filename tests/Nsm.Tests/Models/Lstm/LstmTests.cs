using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models.Lstm;

public sealed class LstmTests : SingleThreadTest
{
    /// <summary>
    /// Plain LSTM equations with the native module's weights (gate order i, f, g, o):
    /// the reference for TorchSharp's fused LSTM as the model uses it (batch-first, (L, B, d) state).
    /// </summary>
    private static Tensor Reference(LSTM lstm, Tensor x, long layers, long hidden)
    {
        var parameters = lstm.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var input = x;
        for (var l = 0; l < layers; l++)
        {
            var h = zeros(x.shape[0], hidden);
            var c = zeros(x.shape[0], hidden);
            var outputs = new List<Tensor>();
            for (long t = 0; t < x.shape[1]; t++)
            {
                var gates = nn.functional.linear(input.select(1, t), parameters[$"weight_ih_l{l}"], parameters[$"bias_ih_l{l}"])
                    + nn.functional.linear(h, parameters[$"weight_hh_l{l}"], parameters[$"bias_hh_l{l}"]);
                var chunks = gates.chunk(4, -1);
                var (i, f, g, o) = (sigmoid(chunks[0]), sigmoid(chunks[1]), tanh(chunks[2]), sigmoid(chunks[3]));
                c = f * c + i * g;
                h = o * tanh(c);
                outputs.Add(h);
            }
            input = stack(outputs, 1);
        }
        return input;
    }

    [Fact]
    public void NativeLstmAgreesWithTheEquationsOnOutputsAndGradients()
    {
        manual_seed(51);
        using var lstm = nn.LSTM(6, 6, 2, batchFirst: true);
        using var scope = NewDisposeScope();
        var x = randn(3, 17, 6);
        var weights = lstm.parameters().ToList();

        (Tensor Output, Tensor[] Gradients) Run(Func<Tensor, Tensor> f)
        {
            foreach (var p in weights) p.grad?.zero_();
            var input = x.clone().requires_grad_(true);
            var y = f(input);
            manual_seed(52);
            (y * randn(y.shape)).sum().backward();
            return (y.detach(), weights.Select(p => p.grad!.clone()).Append(input.grad!.clone()).ToArray());
        }

        var (native, nativeGrads) = Run(input => lstm.forward(input).Item1);
        var (reference, referenceGrads) = Run(input => Reference(lstm, input, 2, 6));
        TensorAssert.Close(reference, native, atol: 1e-5, what: "LSTM outputs");
        for (var i = 0; i < nativeGrads.Length; i++)
            TensorAssert.Close(referenceGrads[i], nativeGrads[i], atol: 1e-5, what: $"LSTM gradient {i}");
    }

    [Fact]
    public void ForgetGateBiasStartsAtOne()
    {
        using var model = BaselineFixtures.Build(BaselineFixtures.Tiny("lstm"), BaselineFixtures.LanguageModel());
        var biases = model.named_parameters().Where(p => p.name.StartsWith("lstm.bias_ih", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, biases.Count);
        foreach (var (_, bias) in biases)
            Assert.True(bias.narrow(0, 16, 16).eq(1).all().item<bool>(), "forget-gate slice of bias_ih is not 1");
    }
}
