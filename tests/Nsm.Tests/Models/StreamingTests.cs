using static TorchSharp.torch;
using Nsm.Core;
using Nsm.Inference;
using Nsm.Models.Transformer;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models;

public sealed class TransformerStreamingTests
{
    private static TransformerModel Model()
    {
        manual_seed(1);
        var spec = new TaskSpec(13, 0, TaskOutput.PerToken, 13, Causal: true, MaxLength: 64);
        var model = new TransformerModel(TestConfigs.TinyCopy().Model, spec);
        model.eval();
        return model;
    }

    [Theory]
    [InlineData(new[] { 17 })]
    [InlineData(new[] { 5, 7, 5 })]
    [InlineData(new[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 })]
    public void OneCallEqualsPiecesWithTheKeyValueCache(int[] pieces)
    {
        using var model = Model();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = randint(0, 13, [2, 17]);
        var full = model.forward(tokens, null);
        var state = model.InitialState(2);
        var outputs = new List<Tensor>();
        var offset = 0;
        foreach (var n in pieces)
        {
            var (y, next) = model.Forward(tokens[.., offset..(offset + n)], state);
            outputs.Add(y);
            state = next;
            offset += n;
        }
        Assert.Equal(17, state.Position);
        TensorAssert.Close(full, cat(outputs, 1), atol: 1e-5, what: "streamed outputs");
    }

    [Fact]
    public void SavedStateRestoresAndContinuesIdentically()
    {
        using var model = Model();
        using var dir = TestConfigs.TempDir();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = randint(0, 13, [1, 10]);
        var (_, state) = model.Forward(tokens[.., ..6], model.InitialState(1));
        state.Save(dir.Sub("state.safetensors"));
        var restored = ModelState.Load(dir.Sub("state.safetensors"));
        Assert.Equal(6, restored.Position);
        var (a, _) = model.Forward(tokens[.., 6..], state);
        var (b, _) = model.Forward(tokens[.., 6..], restored);
        Assert.True(a.equal(b).all().item<bool>());
    }

    [Fact]
    public void GreedyGenerationWithCacheEqualsRerunningTheContext()
    {
        using var model = Model();
        var prompt = new long[] { 1, 2, 3, 4 };
        var streamed = TextGenerator.Generate(model, prompt, 6, new Sampler(0, 0));
        var context = prompt.ToList();
        for (var i = 0; i < 6; i++)
        {
            using var scope = NewDisposeScope();
            var logits = model.forward(tensor(context.ToArray(), [1, context.Count]), null);
            context.Add(logits[0, -1].argmax().item<long>());
        }
        Assert.Equal(context.Skip(4), streamed);
    }

    [Fact]
    public void TopKSamplingNeverPicksOutsideTheTopK()
    {
        using var generator = new Generator(3);
        var sampler = new Sampler(1.0, 2, generator);
        using var logits = tensor(new float[] { 0, 5, 4, -1, 3 }).view(1, 5).expand(200, 5).contiguous();
        using var picks = sampler.Sample(logits);
        Assert.True(picks.eq(1).logical_or(picks.eq(2)).all().item<bool>());
    }
}
