using TorchSharp;
using static TorchSharp.torch;
using Nsm.Benchmarks;
using Nsm.Core;
using Nsm.Models;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models;

/// <summary>The properties every causal baseline must have (docs/baselines.md), one theory per property.</summary>
public sealed class CausalBaselineTests : SingleThreadTest
{
    [Theory]
    [MemberData(nameof(BaselineFixtures.Causal), MemberType = typeof(BaselineFixtures))]
    public void ChangingFutureTokensLeavesPastOutputsUnchanged(string kind)
    {
        using var model = BaselineFixtures.Build(BaselineFixtures.Tiny(kind), BaselineFixtures.LanguageModel());
        using var scope = NewDisposeScope();
        manual_seed(1);
        var tokens = randint(0, 11, [2, 21]);
        var changed = tokens.clone();
        changed[.., 13..] = randint(0, 11, [2, 8]);
        using var noGrad = no_grad();
        var a = model.forward(tokens, null);
        var b = model.forward(changed, null);
        TensorAssert.Close(a[.., ..13], b[.., ..13], atol: 1e-6, what: $"{kind} outputs before the change");
        Assert.False(a[.., 13..].allclose(b[.., 13..]), $"{kind} outputs after the change should differ");
    }

    [Theory]
    [MemberData(nameof(BaselineFixtures.Causal), MemberType = typeof(BaselineFixtures))]
    public void OneCallPiecesAndSingleTokensGiveTheSameOutputs(string kind)
    {
        using var model = BaselineFixtures.Build(BaselineFixtures.Tiny(kind), BaselineFixtures.LanguageModel());
        var streaming = (IStreamingModel)model;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(2);
        var tokens = randint(0, 11, [2, 19]);
        var full = model.forward(tokens, null);                                   // (B, N, C)

        var (oneCall, _) = streaming.Forward(tokens, streaming.InitialState(2));
        TensorAssert.Close(full, oneCall, atol: 1e-5, what: $"{kind} streaming one call vs forward");

        // Uneven pieces that cross the scan chunks (scan_chunk = 4).
        var pieces = new List<Tensor>();
        var state = streaming.InitialState(2);
        var start = 0;
        foreach (var size in new[] { 5, 1, 7, 2, 4 })
        {
            (var output, state) = streaming.Forward(tokens.narrow(1, start, size), state);
            pieces.Add(output);
            start += size;
        }
        Assert.Equal(19, state.Position);
        TensorAssert.Close(full, cat(pieces, 1), atol: 1e-5, what: $"{kind} pieces vs forward");

        var steps = new List<Tensor>();
        state = streaming.InitialState(2);
        for (var t = 0; t < 19; t++)
        {
            (var output, state) = streaming.Forward(tokens.narrow(1, t, 1), state);
            steps.Add(output);
        }
        TensorAssert.Close(full, cat(steps, 1), atol: 1e-5, what: $"{kind} token by token vs forward");
    }

    [Theory]
    [MemberData(nameof(BaselineFixtures.Causal), MemberType = typeof(BaselineFixtures))]
    public void SavedStateResumesTheStream(string kind)
    {
        using var model = BaselineFixtures.Build(BaselineFixtures.Tiny(kind), BaselineFixtures.LanguageModel());
        var streaming = (IStreamingModel)model;
        using var dir = TestConfigs.TempDir();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(3);
        var tokens = randint(0, 11, [2, 12]);
        var (_, state) = streaming.Forward(tokens.narrow(1, 0, 7), streaming.InitialState(2));
        var path = dir.Sub("state.safetensors");
        state.Save(path);
        var restored = ModelState.Load(path);
        Assert.Equal(7, restored.Position);
        Assert.Equal(state.Tensors.Keys.Order(), restored.Tensors.Keys.Order());
        var (expected, _) = streaming.Forward(tokens.narrow(1, 7, 5), state);
        var (actual, _) = streaming.Forward(tokens.narrow(1, 7, 5), restored);
        TensorAssert.Close(expected, actual, atol: 0, rtol: 0, what: $"{kind} continuation from a restored state");
    }

    [Theory]
    [MemberData(nameof(BaselineFixtures.Causal), MemberType = typeof(BaselineFixtures))]
    public void StateSizeDoesNotGrowWithTheStream(string kind)
    {
        using var model = BaselineFixtures.Build(BaselineFixtures.Tiny(kind), BaselineFixtures.LanguageModel());
        var streaming = (IStreamingModel)model;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var state = streaming.InitialState(1);
        var bytes = state.ByteSize;
        for (var t = 0; t < 10; t++) (_, state) = streaming.Forward(tensor(new long[] { t % 11 }).view(1, 1), state);
        Assert.Equal(bytes, state.ByteSize);
    }

    [Theory]
    [MemberData(nameof(BaselineFixtures.Causal), MemberType = typeof(BaselineFixtures))]
    public void StreamingLoopDoesNotLeakTensors(string kind)
    {
        using var model = BaselineFixtures.Build(BaselineFixtures.Tiny(kind), BaselineFixtures.LanguageModel());
        var streaming = (IStreamingModel)model;
        using var noGrad = no_grad();
        var state = streaming.InitialState(1);
        long LiveAfterSteps(int count)
        {
            for (var t = 0; t < count; t++)
            {
                using var scope = NewDisposeScope();
                using var token = tensor(new long[] { t % 11 }).view(1, 1);
                var (output, next) = streaming.Forward(token, state);
                next.MoveToOuterDisposeScope();
                state.Dispose();
                state = next;
                output.Dispose();
            }
            return DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        }
        LiveAfterSteps(3);
        var before = LiveAfterSteps(1);
        var after = LiveAfterSteps(20);
        state.Dispose();
        Assert.Equal(before, after);
    }

    [Theory]
    [MemberData(nameof(BaselineFixtures.Causal), MemberType = typeof(BaselineFixtures))]
    public void PaddedClassificationBatchEqualsOneByOne(string kind)
    {
        using var model = BaselineFixtures.Build(BaselineFixtures.Tiny(kind), BaselineFixtures.Classifier());
        AssertPaddedEqualsOneByOne(model, kind);
    }

    [Theory]
    [MemberData(nameof(BaselineFixtures.Causal), MemberType = typeof(BaselineFixtures))]
    public void TinyModelTrainsForwardAndBackward(string kind)
    {
        var spec = BaselineFixtures.LanguageModel();
        using var model = BaselineFixtures.Build(BaselineFixtures.Tiny(kind), spec);
        model.train();
        using var scope = NewDisposeScope();
        manual_seed(4);
        var tokens = randint(0, 11, [3, 10]);
        var targets = randint(0, 11, [30]);
        using var optimizer = optim.AdamW(model.parameters(), 1e-2);
        // Three steps: RWKV starts its output projections (and key, receptance) at zero, so each
        // block starts as the identity; the gradient reaches the inner parameters over two updates.
        for (var step = 0; step < 3; step++)
        {
            optimizer.zero_grad();
            var logits = model.forward(tokens, null);
            Assert.Equal(new long[] { 3, 10, 11 }, logits.shape);
            nn.functional.cross_entropy(logits.reshape(-1, 11), targets).backward();
            if (step < 2) optimizer.step();
        }
        foreach (var (name, p) in model.named_parameters())
        {
            Assert.NotNull(p.grad);
            Assert.True(p.grad!.isfinite().all().item<bool>(), $"{kind}: gradient of {name} is not finite");
        }
        var silent = model.named_parameters().Where(np => np.parameter.grad!.abs().sum().item<float>() == 0).Select(np => np.name).ToList();
        Assert.True(silent.Count == 0, $"{kind}: parameters without gradient: {string.Join(", ", silent)}");
    }

    [Theory]
    [MemberData(nameof(BaselineFixtures.Causal), MemberType = typeof(BaselineFixtures))]
    public void FeatureInputsGivePerTokenLogits(string kind)
    {
        using var model = BaselineFixtures.Build(BaselineFixtures.Tiny(kind), BaselineFixtures.Features());
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var logits = model.forward(randn(2, 9, 5), null);
        Assert.Equal(new long[] { 2, 9, 4 }, logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
    }

    [Theory]
    [MemberData(nameof(BaselineFixtures.Causal), MemberType = typeof(BaselineFixtures))]
    public void StreamingAClassifierIsRefused(string kind)
    {
        using var model = BaselineFixtures.Build(BaselineFixtures.Tiny(kind), BaselineFixtures.Classifier());
        var streaming = (IStreamingModel)model;
        using var state = streaming.InitialState(1);
        using var token = tensor(new long[] { 1 }).view(1, 1);
        Assert.Throws<InvalidOperationException>(() => streaming.Forward(token, state));
    }

    /// <summary>Three sequences of lengths 9, 4 and 6, right-padded to 9, against each run alone.</summary>
    internal static void AssertPaddedEqualsOneByOne(SequenceModel model, string kind)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(5);
        var lengths = new long[] { 9, 4, 6 };
        var sequences = lengths.Select(n => randint(1, 11, [1, n])).ToList();
        var padded = zeros([3, 9], ScalarType.Int64);
        var mask = zeros([3, 9], ScalarType.Bool);
        for (var i = 0; i < 3; i++)
        {
            padded[i, ..(int)lengths[i]] = sequences[i][0];
            mask[i, ..(int)lengths[i]] = true;
        }
        var batched = model.forward(padded, mask);                                    // (3, classes)
        for (var i = 0; i < 3; i++)
        {
            var alone = model.forward(sequences[i], null);                            // (1, classes)
            TensorAssert.Close(alone[0], batched[i], atol: 1e-5, what: $"{kind} sequence {i} padded vs alone");
        }
    }
}
