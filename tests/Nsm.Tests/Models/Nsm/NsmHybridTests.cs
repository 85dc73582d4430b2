using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Models.Nsm;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models.Nsm;

/// <summary>Hybrid stacks (model.layer_pattern): NSM layers with full (T) and sliding-window (L) attention layers.</summary>
public sealed class NsmHybridTests
{
    public static TheoryData<string> Patterns() => new()
    {
        "model.layer_pattern=NL",
        "model.layer_pattern=TN",
        "model.num_layers=4,model.layer_pattern=NNLN",
        "model.num_layers=4,model.layer_pattern=NNTN,model.cross_layer_states=true",
        "model.num_layers=3,model.layer_pattern=LNT,model.write_source=input,model.propagator=decay",
        "model.num_layers=3,model.layer_pattern=NLN,model.window=3,model.chunk_size=5",
    };

    [Theory]
    [MemberData(nameof(Patterns))]
    public void OneCallEqualsPiecesEqualsTokenByToken(string variant)
    {
        using var model = NsmTestModels.Create(NsmTestModels.Split(variant));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var length in new[] { 63, 100 })
            StreamingContract.OneCallEqualsPiecesEqualsTokenByToken(model, randint(0, NsmTestModels.Vocab, [2, length]), variant);
    }

    [Theory]
    [MemberData(nameof(Patterns))]
    public void OutputsDependOnlyOnEarlierTokensAndOnTheirOwnSample(string variant)
    {
        using var model = NsmTestModels.Create(NsmTestModels.Split(variant));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = randint(0, NsmTestModels.Vocab, [3, 40]);
        var changed = tokens.clone();
        changed[TensorIndex.Colon, TensorIndex.Slice(23)] = randint(0, NsmTestModels.Vocab, [3, 17]);
        changed[2] = randint(0, NsmTestModels.Vocab, [40]);
        var (a, b) = (model.forward(tokens, null), model.forward(changed, null));
        TensorAssert.Close(a.narrow(0, 0, 2).narrow(1, 0, 23), b.narrow(0, 0, 2).narrow(1, 0, 23), atol: 1e-5, what: "outputs before the change");
        TensorAssert.Close(a[0].unsqueeze(0), model.forward(tokens[0].unsqueeze(0), null), atol: 1e-5, what: "sample 0 alone vs in the batch");
    }

    [Theory]
    [MemberData(nameof(Patterns))]
    public void PaddedBatchEqualsEachSampleAlone(string variant)
    {
        using var model = NsmTestModels.Create(NsmTestModels.Split(variant));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = randint(0, NsmTestModels.Vocab, [2, 30]);
        var mask = ones([2, 30], ScalarType.Bool);
        mask[1, TensorIndex.Slice(19)] = tensor(false);
        var batched = model.forward(tokens, mask);
        var alone = model.forward(tokens[1].narrow(0, 0, 19).unsqueeze(0), null);
        TensorAssert.Close(alone[0], batched[1].narrow(0, 0, 19), atol: 1e-5, what: "padded sample's real positions");
    }

    [Theory]
    [MemberData(nameof(Patterns))]
    public void EveryParameterGetsAGradient(string variant)
    {
        using var model = NsmTestModels.Create(NsmTestModels.Split(variant));
        model.train();
        using var scope = NewDisposeScope();
        var tokens = randint(0, NsmTestModels.Vocab, [2, 40]);
        model.forward(tokens, null).square().mean().backward();
        foreach (var (name, p) in model.named_parameters())
            Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0, $"'{name}' got no gradient");
    }

    [Theory]
    [InlineData("model.layer_pattern=NT")]
    [InlineData("model.num_layers=3,model.layer_pattern=NLT,model.router=slot")]
    public void TheClassifierRunsNonCausallyAndIgnoresPadding(string variant)
    {
        using var model = NsmTestModels.Create(NsmTestModels.Classifier(), NsmTestModels.Split(variant));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = randint(0, NsmTestModels.Vocab, [2, 21]);
        var mask = ones([2, 21], ScalarType.Bool);
        mask[1, TensorIndex.Slice(13)] = tensor(false);
        var batched = model.forward(tokens, mask);
        var alone = model.forward(tokens[1].narrow(0, 0, 13).unsqueeze(0), null);
        TensorAssert.Close(alone[0], batched[1], atol: 1e-5, what: "padded vs unpadded classification");
        var later = tokens.clone();
        later[0, 20] = tensor((long)((later[0, 20].item<long>() + 1) % NsmTestModels.Vocab));
        Assert.False(model.forward(later, mask)[0].equal(batched[0]).all().item<bool>(), "a non-causal classifier ignored its last token");
    }

    [Theory]
    [InlineData("model.layer_pattern=NL", false)]
    [InlineData("model.layer_pattern=NT", true)]
    public void OnlyFullAttentionLayersMakeTheStateGrow(string variant, bool grows)
    {
        using var model = NsmTestModels.Create(NsmTestModels.Split(variant));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var state = model.InitialState(1);
        var sizes = new List<long>();
        for (var i = 0; i < 64; i++)
        {
            (_, state) = model.Forward(randint(0, NsmTestModels.Vocab, [1, 1]), state);
            sizes.Add(state.ByteSize);
        }
        Assert.Equal(!grows, model.HasBoundedState);
        if (grows)
        {
            Assert.True(sizes[^1] > sizes[31], "a T layer's cache did not grow");
            Assert.Throws<InvalidOperationException>(() => model.MaxStreamingStateBytes(1));
        }
        else
        {
            Assert.Equal(sizes.Skip(16).Max(), sizes.Skip(48).Max());
            Assert.True(sizes.Max() <= model.MaxStreamingStateBytes(1), "the state outgrew its bound");
        }
    }

    [Fact]
    public void PureStacksKeepTheirParameterNamesAndHybridsNameTheirAttentionLayers()
    {
        using var pure = NsmTestModels.Create();
        using var spelled = NsmTestModels.Create("model.layer_pattern=NN");
        Assert.Equal(pure.state_dict().Keys, spelled.state_dict().Keys);
        using var hybrid = NsmTestModels.Create("model.layer_pattern=NL");
        Assert.Contains("layers.1.local.kv_proj.weight", hybrid.state_dict().Keys);
        Assert.Contains("layers.0.writer.route_proj.weight", hybrid.state_dict().Keys);
        using var full = NsmTestModels.Create("model.layer_pattern=TN");
        Assert.Contains("layers.0.attn.qkv_proj.weight", full.state_dict().Keys);
        Assert.Equal([1], full.LayerIndices);
    }

    [Theory]
    [InlineData("model.layer_pattern=NX", "'model.layer_pattern' = \"NX\" has the letter 'X'")]
    [InlineData("model.layer_pattern=NNN", "has 3 letters but 'model.num_layers' = 2")]
    [InlineData("model.layer_pattern=TL", "has no N layer")]
    public void BadPatternsAreOneLineNamingTheKey(string setting, string message)
    {
        var e = Assert.Throws<ConfigException>(() => NsmTestModels.Create(setting));
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void AStateOfAnotherPatternIsRefusedNamingWhatIsMissing()
    {
        using var hybrid = NsmTestModels.Create("model.layer_pattern=NL");
        using var pure = NsmTestModels.Create();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var e = Assert.Throws<ArgumentException>(() => pure.Forward(randint(0, NsmTestModels.Vocab, [1, 3]), hybrid.InitialState(1)));
        Assert.Contains("layers.1.slots", e.Message);
    }
}
