using TorchSharp;
using static TorchSharp.torch;
using Nsm.Models.Nsm;

namespace Nsm.Tests.Models.Nsm;

public sealed class NsmGradientTests
{
    [Theory]
    [InlineData("")]
    [InlineData("model.fusion=gated,model.router=slot,model.propagator=lstm,model.cross_layer_states=true,model.communication=topk,model.communication_top_k=3")]
    [InlineData("model.propagator=linear,model.router_heads=2,model.router_top_k=3,model.importance_l1=0.1")]
    public void EveryParameterGetsAGradientInTheLanguageModel(string variant)
    {
        using var model = NsmTestModels.Create(NsmTestModels.Split(variant));
        AssertAllParametersLearn(model, randint(0, NsmTestModels.Vocab, [2, 40]), logits =>
            nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), randint(0, NsmTestModels.Vocab, [80])));
    }

    [Theory]
    [InlineData("")]
    [InlineData("model.fusion=gated,model.router=slot,model.cross_layer_states=true")]
    public void EveryParameterGetsAGradientInTheClassifier(string variant)
    {
        using var model = NsmTestModels.Create(NsmTestModels.Classifier(), NsmTestModels.Split(variant));
        AssertAllParametersLearn(model, randint(0, NsmTestModels.Vocab, [3, 30]), logits =>
            nn.functional.cross_entropy(logits, tensor(new long[] { 0, 1, 2 })));
    }

    /// <summary>
    /// Module.to() replaces a module's Parameter fields with new objects (the layer's write_conv
    /// and write_position among them); the write path must use the new ones, or they would get
    /// no gradient (and, after a move to the GPU, the write would use tensors left on the CPU).
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EveryParameterGetsAGradientAfterTheModelIsConverted(bool causal)
    {
        using var model = NsmTestModels.Create(causal ? NsmTestModels.LanguageModel() : NsmTestModels.Classifier());
        // Run once before the conversion, so that nothing made on first use escapes it either.
        using (NewDisposeScope())
        using (no_grad())
            model.forward(randint(0, NsmTestModels.Vocab, [1, 10]), null);
        model.to(ScalarType.Float64);
        if (causal)
            AssertAllParametersLearn(model, randint(0, NsmTestModels.Vocab, [2, 20]), logits =>
                nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), randint(0, NsmTestModels.Vocab, [40])));
        else
            AssertAllParametersLearn(model, randint(0, NsmTestModels.Vocab, [3, 20]), logits =>
                nn.functional.cross_entropy(logits, tensor(new long[] { 0, 1, 2 })));
    }

    [Fact]
    public void ImportanceL1PenaltyPushesImportanceDown()
    {
        using var model = NsmTestModels.Create("model.importance_l1=0.5");
        using var scope = NewDisposeScope();
        var aux = model.AuxiliaryLoss();
        Assert.NotNull(aux);
        // Two layers, all slots at sigmoid(3) = 0.9526.
        Assert.Equal(0.5 * 2 * 0.95257, aux!.item<float>(), 3);
        aux.backward();
        Assert.All(model.Layers, l => Assert.True(l.Manager.Importance.grad!.gt(0).all().item<bool>()));
        using var plain = NsmTestModels.Create();
        Assert.Null(plain.AuxiliaryLoss());
    }

    private static void AssertAllParametersLearn(NsmModel model, Tensor input, Func<Tensor, Tensor> lossOf)
    {
        model.train();
        using var scope = NewDisposeScope();
        model.zero_grad();
        var loss = lossOf(model.forward(input, null));
        if (model.AuxiliaryLoss() is { } aux) loss = loss + aux;
        loss.backward();
        var silent = model.named_parameters()
            .Where(p => p.parameter.grad is null || !p.parameter.grad.ne(0).any().item<bool>())
            .Select(p => p.name).ToList();
        Assert.True(silent.Count == 0, $"no gradient reaches: {string.Join(", ", silent)}");
        Assert.Contains(model.named_parameters(), p => p.name.EndsWith("manager.importance"));
    }
}
