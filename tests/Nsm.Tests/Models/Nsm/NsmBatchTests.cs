using static TorchSharp.torch;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models.Nsm;

public sealed class NsmBatchTests
{
    [Theory]
    [InlineData("")]
    [InlineData("model.router=slot,model.cross_layer_states=true")]
    [InlineData("model.write_source=input")]
    [InlineData("model.write_source=input,model.router=slot,model.cross_layer_states=true")]
    public void SamplesDoNotInfluenceEachOther(string variant)
    {
        using var model = NsmTestModels.Create(NsmTestModels.Split(variant));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = randint(0, NsmTestModels.Vocab, [3, 30]);
        var changed = tokens.clone();
        changed[1] = randint(0, NsmTestModels.Vocab, [30]);
        var a = model.forward(tokens, null);
        var b = model.forward(changed, null);
        TensorAssert.Close(a[0], b[0], atol: 1e-6, rtol: 0, what: "sample 0");
        TensorAssert.Close(a[2], b[2], atol: 1e-6, rtol: 0, what: "sample 2");
        Assert.False(a[1].allclose(b[1]));
    }

    [Theory]
    [InlineData("")]
    [InlineData("model.fusion=gated,model.router=slot,model.propagator=lstm")]
    [InlineData("model.cross_layer_states=true,model.communication=topk,model.communication_top_k=3")]
    [InlineData("model.write_source=input")]
    [InlineData("model.write_source=input,model.fusion=gated,model.router=slot,model.propagator=lstm")]
    [InlineData("model.write_source=input,model.cross_layer_states=true,model.communication=topk,model.communication_top_k=3")]
    public void PaddedCausalBatchEqualsSequencesOneByOne(string variant)
    {
        using var model = NsmTestModels.Create(NsmTestModels.Split(variant));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int[] lengths = [37, 20, 9];
        var (batch, mask) = Padded(lengths, 40);
        var padded = model.forward(batch, mask);
        for (var i = 0; i < lengths.Length; i++)
        {
            var alone = model.forward(batch[i..(i + 1), ..lengths[i]], null);
            TensorAssert.Close(alone[0], padded[i, ..lengths[i]], atol: 1e-5, what: $"sequence {i}");
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("model.fusion=gated,model.router=slot,model.cross_layer_states=true")]
    public void PaddedClassifierBatchEqualsSequencesOneByOne(string variant)
    {
        using var model = NsmTestModels.Create(NsmTestModels.Classifier(), NsmTestModels.Split(variant));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int[] lengths = [30, 17, 6];
        var (batch, mask) = Padded(lengths, 32);
        var padded = model.forward(batch, mask);
        Assert.Equal([3L, 3L], padded.shape);
        for (var i = 0; i < lengths.Length; i++)
        {
            var alone = model.forward(batch[i..(i + 1), ..lengths[i]], null);
            TensorAssert.Close(alone[0], padded[i], atol: 1e-5, what: $"sequence {i}");
        }
    }

    [Fact]
    public void ClassifierUsesTheWholeSequence()
    {
        using var model = NsmTestModels.Create(NsmTestModels.Classifier());
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = randint(0, NsmTestModels.Vocab, [2, 32]);
        var changed = tokens.clone();
        changed[.., 0] = (tokens[.., 0] + 1) % NsmTestModels.Vocab;
        Assert.False(model.forward(tokens, null).allclose(model.forward(changed, null)), "the first token should change the classification");
    }

    /// <summary>Random tokens (B, length) with garbage after each sequence's end and the matching mask (true = real).</summary>
    internal static (Tensor Tokens, Tensor Mask) Padded(int[] lengths, int length)
    {
        var tokens = randint(0, NsmTestModels.Vocab, [lengths.Length, length]);
        var mask = zeros([lengths.Length, length], ScalarType.Bool);
        for (var i = 0; i < lengths.Length; i++) mask[i, ..lengths[i]] = tensor(true);
        return (tokens, mask);
    }
}
