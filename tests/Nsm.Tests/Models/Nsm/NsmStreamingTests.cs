using static TorchSharp.torch;
using Nsm.Models.Nsm;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models.Nsm;

public sealed class NsmStreamingTests
{
    [Theory]
    [MemberData(nameof(NsmTestModels.Variants), MemberType = typeof(NsmTestModels))]
    public void OneCallEqualsPiecesOfAnySize(string variant)
    {
        using var model = NsmTestModels.Create(NsmTestModels.Split(variant));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = randint(0, NsmTestModels.Vocab, [2, 63]);
        var whole = model.forward(tokens, null);
        var pieces = Stream(model, tokens, [5, 8, 1, 13, 3, 16, 17]);
        TensorAssert.Close(whole, pieces, atol: 1e-5, what: "one call vs pieces");
    }

    [Theory]
    [InlineData(63, "")]
    [InlineData(100, "")]
    [InlineData(63, "model.cross_layer_states=true,model.propagator=lstm")]
    [InlineData(63, "model.fusion=gated,model.router=slot")]
    [InlineData(63, "model.write_source=input")]
    [InlineData(100, "model.write_source=input")]
    [InlineData(63, "model.write_source=input,model.cross_layer_states=true,model.propagator=lstm")]
    [InlineData(63, "model.write_source=input,model.fusion=gated,model.router=slot")]
    public void OneCallEqualsChunkByChunkEqualsTokenByToken(int length, string variant)
    {
        using var model = NsmTestModels.Create(NsmTestModels.Split(variant));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = randint(0, NsmTestModels.Vocab, [2, length]);
        var whole = model.forward(tokens, null);
        var byChunk = Stream(model, tokens, [8]);
        var byToken = Stream(model, tokens, [1]);
        TensorAssert.Close(whole, byChunk, atol: 1e-5, what: "one call vs chunk by chunk");
        TensorAssert.Close(whole, byToken, atol: 1e-5, what: "one call vs token by token");
    }

    [Fact]
    public void StreamingStateStaysTheSameSizeAndForwardLeavesTheGivenStateUnchanged()
    {
        using var model = NsmTestModels.Create();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var state = model.InitialState(1);
        var sizes = new List<long>();
        for (var i = 0; i < 80; i++)
        {
            var before = state.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.clone());
            var (_, next) = model.Forward(randint(0, NsmTestModels.Vocab, [1, 1]), state);
            foreach (var (name, t) in before) Assert.True(t.equal(state[name]).all().item<bool>(), $"Forward changed the given state's '{name}'");
            state = next;
            sizes.Add(state.ByteSize);
        }
        Assert.Equal(80, state.Position);
        Assert.True(sizes.Skip(16).Max() <= model.MaxStreamingStateBytes(1), "the state outgrew its bound");
        // From the first full window on, the state cycles with the chunk: no growth with context.
        Assert.Equal(sizes[23], sizes[79]);
        Assert.Equal(sizes.Skip(16).Max(), sizes.Skip(48).Max());
    }

    /// <summary>Streams tokens (B, N) through the model in pieces of the given sizes (cycled) and concatenates the outputs.</summary>
    internal static Tensor Stream(NsmModel model, Tensor tokens, int[] sizes)
    {
        var state = model.InitialState(tokens.shape[0]);
        var outputs = new List<Tensor>();
        long position = 0;
        for (var i = 0; position < tokens.shape[1]; i++)
        {
            var size = Math.Min(sizes[i % sizes.Length], tokens.shape[1] - position);
            var (output, next) = model.Forward(tokens.narrow(1, position, size), state);
            outputs.Add(output);
            state = next;
            position += size;
        }
        Assert.Equal(tokens.shape[1], state.Position);
        return cat(outputs, 1);
    }
}
