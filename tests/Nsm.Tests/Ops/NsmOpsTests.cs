using static TorchSharp.torch;
using Nsm.Ops;
using Nsm.Tests.Support;

namespace Nsm.Tests.Ops;

public sealed class NsmOpsTests
{
    /// <summary>
    /// The fused softmax (log-normaliser read off at the largest logit) against logsumexp + exp on
    /// values and on the gradients of a loss that uses both outputs, including rows whose keys are
    /// all masked and rows with a large spread of logits.
    /// </summary>
    [Fact]
    public void FusedSoftmaxMatchesLogSumExpFormOnValuesAndGradients()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var data = randn([3, 4, 9]) * 4;
        data[0, 0] = full(9, NsmOps.Masked);                 // a padding query: every key masked
        data[1, 2, 3] = tensor(NsmOps.Masked);               // one masked key
        data[2, 1] = linspace(-60, 60, 9);                   // a large spread
        var mix = randn([3, 4, 9]);
        var mixLse = randn([3, 4]);
        // What a fully masked row gives is never used (padding); it only has to be finite.
        var real = ones([3, 4, 1]);
        real[0, 0] = tensor(0f);
        mix = mix * real;
        mixLse = mixLse * real.squeeze(-1);

        (Tensor, Tensor, Tensor) Run(Func<Tensor, (Tensor Weights, Tensor LogSumExp)> softmax)
        {
            var logits = data.clone().requires_grad_(true);
            var (weights, lse) = softmax(logits);
            var loss = (weights * mix).sum() + (lse.clamp(-100, 100) * mixLse).sum();
            loss.backward();
            Assert.False(weights.isnan().any().item<bool>() || logits.grad!.isnan().any().item<bool>(), "NaN");
            return (weights.detach() * real, lse.detach() * real.squeeze(-1), logits.grad!.clone());
        }

        var (w1, l1, g1) = Run(NsmOps.Softmax);
        var (w2, l2, g2) = Run(NsmOps.SoftmaxFused);
        TensorAssert.Close(w1, w2, atol: 1e-6, what: "weights");
        TensorAssert.Close(l1, l2, atol: 1e-5, what: "log-normalisers");
        TensorAssert.Close(g1, g2, atol: 1e-5, what: "gradients");
    }
}
