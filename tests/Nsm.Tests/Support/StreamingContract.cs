using static TorchSharp.torch;
using Nsm.Core;
using Nsm.Models;

namespace Nsm.Tests.Support;

/// <summary>
/// The contract of <see cref="IStreamingModel"/>, as assertions any streaming model's tests can
/// call: one call == pieces == token by token, a saved state resumes the stream exactly, and
/// (for models with a bounded state) the state's size does not grow with the context.
/// </summary>
public static class StreamingContract
{
    /// <summary>Uneven piece sizes that cross chunk, window and scan boundaries of the tiny models.</summary>
    public static readonly int[] UnevenPieces = [5, 8, 1, 13, 3, 16, 17];

    /// <summary>Streams tokens (B, N) in pieces of the given sizes (cycled) from the initial state; returns the outputs (B, N, C) and the final state.</summary>
    public static (Tensor Output, ModelState State) Stream(IStreamingModel model, Tensor tokens, int[] sizes)
    {
        var state = model.InitialState(tokens.shape[0]);
        var outputs = new List<Tensor>();
        long position = 0;
        for (var i = 0; position < tokens.shape[1]; i++)
        {
            var size = Math.Min(sizes[i % sizes.Length], tokens.shape[1] - position);
            (var output, state) = model.Forward(tokens.narrow(1, position, size), state);
            outputs.Add(output);
            position += size;
        }
        Assert.Equal(tokens.shape[1], state.Position);
        return (cat(outputs, 1), state);
    }

    /// <summary>The model's forward over tokens (B, N) equals its stream in one call, in uneven pieces and token by token.</summary>
    public static void OneCallEqualsPiecesEqualsTokenByToken(SequenceModel model, Tensor tokens, string what, double atol = 1e-5)
    {
        var streaming = (IStreamingModel)model;
        var whole = model.forward(tokens, null);
        var n = (int)tokens.shape[1];
        TensorAssert.Close(whole, Stream(streaming, tokens, [n]).Output, atol, what: $"{what}: forward vs one streamed call at {n}");
        TensorAssert.Close(whole, Stream(streaming, tokens, UnevenPieces).Output, atol, what: $"{what}: forward vs pieces at {n}");
        TensorAssert.Close(whole, Stream(streaming, tokens, [1]).Output, atol, what: $"{what}: forward vs token by token at {n}");
    }

    /// <summary>
    /// A state saved after the first split tokens of tokens (B, N) loads with the same names,
    /// shapes and values and position, and continues the stream exactly as the original does.
    /// </summary>
    public static void SavedStateResumesExactly(IStreamingModel model, Tensor tokens, int split, string what)
    {
        var (_, state) = Stream(model, tokens.narrow(1, 0, split), [split]);
        var path = Path.Combine(Path.GetTempPath(), $"nsm-streaming-contract-{Guid.NewGuid():N}.safetensors");
        try
        {
            state.Save(path);
            using var loaded = ModelState.Load(path);
            Assert.Equal(split, loaded.Position);
            Assert.Equal(state.Tensors.Keys.Order(), loaded.Tensors.Keys.Order());
            foreach (var (name, t) in state.Tensors)
                TensorAssert.Close(t, loaded[name], atol: 0, rtol: 0, what: $"{what}: saved '{name}'");
            var rest = tokens.narrow(1, split, tokens.shape[1] - split);
            var (a, _) = model.Forward(rest, state);
            var (b, _) = model.Forward(rest, loaded);
            TensorAssert.Close(a, b, atol: 0, rtol: 0, what: $"{what}: continued after save and load");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// Streams tokens (B, N) in pieces of the given size and returns the state's size in bytes
    /// after each piece, asserting on the way that Forward never changes the state it is given.
    /// </summary>
    public static List<long> StateSizes(IStreamingModel model, Tensor tokens, int piece, string what)
    {
        var state = model.InitialState(tokens.shape[0]);
        var sizes = new List<long>();
        for (long position = 0; position < tokens.shape[1]; position += piece)
        {
            var before = state.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.clone());
            var (_, next) = model.Forward(tokens.narrow(1, position, Math.Min(piece, tokens.shape[1] - position)), state);
            foreach (var (name, t) in before)
                Assert.True(t.equal(state[name]).all().item<bool>(), $"{what}: Forward changed the given state's '{name}'");
            state = next;
            sizes.Add(state.ByteSize);
        }
        return sizes;
    }
}
