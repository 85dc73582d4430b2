using TorchSharp;
using static TorchSharp.torch;
using Nsm.Core;
using Nsm.Models.Nsm;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models.Nsm;

/// <summary>
/// model.recompute (activation checkpointing): the same loss, the same gradient for every
/// parameter and the same recorded slot usage as the plain training forward, with dropout (the
/// rerun must draw the same masks) and right padding.
/// </summary>
public sealed class NsmRecomputeTests : SingleThreadTest
{
    [Theory]
    [InlineData("")]
    [InlineData("model.write_source=input,model.propagator=decay")]
    [InlineData("model.write_source=input,model.router=slot,model.propagator=lstm,model.fusion=gated")]
    [InlineData("model.layer_pattern=NL,model.write_source=input")]
    [InlineData("model.memory_rows=4,model.memory_width=8")]
    public void RecomputedLayersGiveTheSameLossGradientsAndUsage(string variant)
    {
        string[] overrides = [.. NsmTestModels.Split(variant), "model.dropout=0.2"];
        using var plain = NsmTestModels.Create(overrides);
        using var recomputed = NsmTestModels.Create([.. overrides, "model.recompute=true"]);
        using var scope = NewDisposeScope();
        manual_seed(3);
        var tokens = randint(0, NsmTestModels.Vocab, [3, 37]);
        var targets = randint(0, NsmTestModels.Vocab, [3, 37]);
        var mask = ones([3, 37], ScalarType.Bool);
        mask[1, 30..] = false;                                                    // right padding in one row

        var (plainLoss, plainGrads) = Step(plain, tokens, targets, mask);
        var (recomputedLoss, recomputedGrads) = Step(recomputed, tokens, targets, mask);

        TensorAssert.Close(plainLoss, recomputedLoss, atol: 1e-6, what: $"{variant}: loss");
        Assert.Equal(plainGrads.Keys, recomputedGrads.Keys);
        foreach (var (name, grad) in plainGrads)
            TensorAssert.Close(grad, recomputedGrads[name], atol: 1e-5, rtol: 1e-4, what: $"{variant}: gradient of {name}");
        for (var i = 0; i < plain.Layers.Count; i++)
        {
            TensorAssert.Close(plain.Layers[i].Manager.WriteUsage, recomputed.Layers[i].Manager.WriteUsage, atol: 1e-6, what: $"{variant}: write usage of NSM layer {i}");
            TensorAssert.Close(plain.Layers[i].Manager.ReadUsage, recomputed.Layers[i].Manager.ReadUsage, atol: 1e-6, what: $"{variant}: read usage of NSM layer {i}");
        }
    }

    [Fact]
    public void RecomputeWithCrossLayerStatesIsRefusedByName()
    {
        var error = Assert.Throws<ConfigException>(() => NsmTestModels.Create("model.recompute=true", "model.cross_layer_states=true"));
        Assert.Contains("'model.recompute'", error.Message);
        Assert.Contains("'model.cross_layer_states'", error.Message);
    }

    /// <summary>One training forward and backward from the same random state: the loss and every parameter's gradient, by name.</summary>
    private static (Tensor Loss, Dictionary<string, Tensor> Grads) Step(NsmModel model, Tensor tokens, Tensor targets, Tensor mask)
    {
        model.train();
        manual_seed(11);
        var logits = model.forward(tokens, mask);                                 // (B, N, V)
        var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), targets.masked_fill(mask.logical_not(), -100).reshape(-1));
        loss.backward();
        var grads = model.named_parameters().Where(p => p.parameter.grad is not null)
            .ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        return (loss.detach(), grads);
    }
}
