using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Models.Nsm;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models.Nsm;

/// <summary>The memory-augmented NSM (model.memory_rows > 0): an NTM memory per sample and layer, driven by the slots.</summary>
public sealed class NsmMemoryTests
{
    public static TheoryData<string> Variants() => new()
    {
        "model.memory_rows=6,model.memory_width=4",
        "model.memory_rows=5,model.memory_width=3,model.memory_writes_per_chunk=2,model.memory_reads_per_chunk=0",
        "model.memory_rows=7,model.memory_width=4,model.memory_reads_per_chunk=2,model.write_source=input,model.propagator=decay",
        "model.memory_rows=4,model.memory_width=4,model.window=3,model.chunk_size=5,model.router=slot,model.propagator=lstm",
        "model.memory_rows=6,model.memory_width=4,model.num_layers=3,model.layer_pattern=NLN,model.cross_layer_states=true",
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void OneCallEqualsPiecesEqualsTokenByToken(string variant)
    {
        using var model = NsmTestModels.Create(NsmTestModels.Split(variant));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var length in new[] { 63, 100 })
            StreamingContract.OneCallEqualsPiecesEqualsTokenByToken(model, randint(0, NsmTestModels.Vocab, [2, length]), variant);
    }

    [Theory]
    [MemberData(nameof(Variants))]
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
    [MemberData(nameof(Variants))]
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
        TensorAssert.Close(model.forward(tokens[0].unsqueeze(0), null)[0], batched[0], atol: 1e-5, what: "unpadded sample");
    }

    [Theory]
    [MemberData(nameof(Variants))]
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

    [Fact]
    public void TheTokensReadTheMemoryWrittenFromEarlierChunks()
    {
        using var model = NsmTestModels.Create("model.memory_rows=6", "model.memory_width=4");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = randint(0, NsmTestModels.Vocab, [1, 24]);
        var (output, state) = model.Forward(tokens, model.InitialState(1));
        var initial = model.Layers[0].Memory!.InitialState(1).Memory;
        Assert.False(state["layers.0.memory"].allclose(initial), "three chunks left the memory unwritten");
        // The same next token after a changed memory gives another output: the tokens read it.
        var next = randint(0, NsmTestModels.Vocab, [1, 1]);
        var (a, _) = model.Forward(next, state);
        var altered = new Dictionary<string, Tensor>(state.Tensors) { ["layers.1.memory"] = state["layers.1.memory"] + 1 };
        var (b, _) = model.Forward(next, new ModelState(altered, state.Position));
        Assert.False(a.allclose(b, atol: 1e-4), "the output ignored the memory");
    }

    [Fact]
    public void TheStateKeepsItsSizeAndSavesAndLoads()
    {
        using var model = NsmTestModels.Create("model.memory_rows=6", "model.memory_width=4", "model.memory_writes_per_chunk=2");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var state = model.InitialState(1);
        var sizes = new List<long>();
        for (var i = 0; i < 50; i++)
        {
            (_, state) = model.Forward(randint(0, NsmTestModels.Vocab, [1, 1]), state);
            sizes.Add(state.ByteSize);
        }
        Assert.Equal(sizes.Skip(8).Max(), sizes.Skip(40).Max());
        Assert.True(sizes.Max() <= model.MaxStreamingStateBytes(1), "the state outgrew its bound");
        Assert.Equal(2 * (6 * 4 + (2 + 1) * 6) * sizeof(float), model.MemoryStateBytes(1));
        Assert.Equal(new long[] { 1, 2, 6 }, state["layers.0.memory_write_weights"].shape);

        var path = Path.Combine(Path.GetTempPath(), $"nsm-memory-state-{Guid.NewGuid():N}.safetensors");
        try
        {
            state.Save(path);
            using var loaded = ModelState.Load(path);
            var next = randint(0, NsmTestModels.Vocab, [1, 9]);
            TensorAssert.Close(model.Forward(next, state).Output, model.Forward(next, loaded).Output, atol: 0, what: "after save and load");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void TheClassifierReadsTheMemoryAndIgnoresPadding()
    {
        using var model = NsmTestModels.Create(NsmTestModels.Classifier(), "model.memory_rows=6", "model.memory_width=4");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = randint(0, NsmTestModels.Vocab, [2, 21]);
        var mask = ones([2, 21], ScalarType.Bool);
        mask[1, TensorIndex.Slice(13)] = tensor(false);
        var batched = model.forward(tokens, mask);
        var alone = model.forward(tokens[1].narrow(0, 0, 13).unsqueeze(0), null);
        TensorAssert.Close(alone[0], batched[1], atol: 1e-5, what: "padded vs unpadded classification");
    }

    [Fact]
    public void AStateOfAnotherVariantIsRefused()
    {
        using var memory = NsmTestModels.Create("model.memory_rows=6", "model.memory_width=4");
        using var wider = NsmTestModels.Create("model.memory_rows=6", "model.memory_width=5");
        using var plain = NsmTestModels.Create();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var token = randint(0, NsmTestModels.Vocab, [1, 3]);
        Assert.Contains("holds no external memory", Assert.Throws<ArgumentException>(() => memory.Forward(token, plain.InitialState(1))).Message);
        Assert.Contains("holds an external memory", Assert.Throws<ArgumentException>(() => plain.Forward(token, memory.InitialState(1))).Message);
        Assert.Contains("6 x 4", Assert.Throws<ArgumentException>(() => wider.Forward(token, memory.InitialState(1))).Message);
    }

    [Theory]
    [InlineData("model.memory_rows=-1", "model.memory_rows")]
    [InlineData("model.memory_width=0", "model.memory_width")]
    [InlineData("model.memory_writes_per_chunk=0", "model.memory_writes_per_chunk")]
    [InlineData("model.memory_reads_per_chunk=65", "model.memory_reads_per_chunk")]
    public void MemorySettingsOutOfRangeAreOneLineNamingTheKey(string setting, string key)
    {
        var e = Assert.Throws<ConfigException>(() => NsmTestModels.Create("model.memory_rows=4", setting));
        Assert.Contains(key, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void WithoutMemoryTheModelIsUnchanged()
    {
        using var plain = NsmTestModels.Create();
        Assert.DoesNotContain(plain.state_dict().Keys, k => k.Contains("memory"));
        Assert.DoesNotContain(plain.InitialState(1).Tensors.Keys, k => k.Contains("memory"));
        Assert.Equal(0, plain.MemoryStateBytes(1));
        using var memory = NsmTestModels.Create("model.memory_rows=4");
        Assert.Contains("layers.1.memory.write_proj", memory.state_dict().Keys);
    }
}
