using static TorchSharp.torch;
using Nsm.Models.Nsm;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models.Nsm;

public sealed class NsmReferenceTests
{
    [Theory]
    [InlineData(63, "")]
    [InlineData(47, "model.window=3,model.chunk_size=5,model.write_conv=7")]
    [InlineData(40, "model.fusion=gated,model.propagator=lstm,model.cross_layer_states=true")]
    [InlineData(40, "model.router=slot,model.communication=topk,model.communication_top_k=3,model.propagator=linear")]
    [InlineData(40, "model.local_attention=false,model.communication=none,model.router_top_k=2,model.router_heads=2")]
    [InlineData(63, "model.write_source=input")]
    [InlineData(63, "model.write_source=input,model.propagator=decay")]
    [InlineData(40, "model.propagator=decay,model.cross_layer_states=true")]
    [InlineData(100, "model.write_source=input")]
    [InlineData(47, "model.write_source=input,model.window=3,model.chunk_size=5,model.write_conv=7")]
    [InlineData(40, "model.write_source=input,model.fusion=gated,model.propagator=lstm,model.cross_layer_states=true")]
    [InlineData(40, "model.write_source=input,model.router=slot,model.communication=topk,model.communication_top_k=3,model.propagator=linear")]
    public void ChunkedMatchesTokenByTokenReferenceOnOutputsAndGradients(int length, string variant)
    {
        using var model = NsmTestModels.Create(NsmTestModels.Split(variant));
        using var scope = NewDisposeScope();
        var tokens = randint(0, NsmTestModels.Vocab, [2, length]);
        var targets = randint(0, NsmTestModels.Vocab, [2, length]);

        var fast = model.forward(tokens, null);
        var fastGrads = Gradients(model, fast, targets);
        var reference = NsmReference.Forward(model, tokens);
        var referenceGrads = Gradients(model, reference, targets);

        TensorAssert.Close(reference, fast, atol: 1e-5, what: "outputs");
        Assert.Equal(referenceGrads.Keys.Order(), fastGrads.Keys.Order());
        foreach (var (name, expected) in referenceGrads)
        {
            // Relative to the gradient's scale: tiny components of large gradients differ in the last bits.
            var tolerance = 1e-5 + 1e-4 * expected.abs().max().item<float>();
            TensorAssert.Close(expected, fastGrads[name], atol: tolerance, rtol: 1e-3, what: $"gradient of {name}");
        }
    }

    /// <summary>The gradients of every parameter of the cross-entropy of logits (..., C) against targets (...).</summary>
    internal static Dictionary<string, Tensor> Gradients(NsmModel model, Tensor logits, Tensor targets)
    {
        model.zero_grad();
        var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), targets.reshape(-1));
        loss.backward();
        return model.named_parameters().Where(p => p.parameter.grad is not null)
            .ToDictionary(p => p.name, p => p.parameter.grad!.clone());
    }
}
