using TorchSharp;
using static TorchSharp.torch;
using Nsm.Benchmarks;
using Nsm.Core;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models.Nsm;

public sealed class NsmStateTests
{
    [Theory]
    [InlineData("")]
    [InlineData("model.propagator=lstm")]
    [InlineData("model.local_attention=false")]
    public void SavedStateContinuesExactly(string variant)
    {
        using var model = NsmTestModels.Create(NsmTestModels.Split(variant));
        using var dir = TestConfigs.TempDir();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = randint(0, NsmTestModels.Vocab, [2, 30]);
        var (_, state) = model.Forward(tokens[.., ..19], model.InitialState(2));
        var path = dir.Sub("state.safetensors");
        state.Save(path);
        using var loaded = ModelState.Load(path);
        Assert.Equal(19, loaded.Position);
        Assert.Equal(state.Tensors.Keys.Order(), loaded.Tensors.Keys.Order());
        var (expected, _) = model.Forward(tokens[.., 19..], state);
        var (actual, _) = model.Forward(tokens[.., 19..], loaded);
        TensorAssert.Close(expected, actual, atol: 0, rtol: 0, what: "outputs after a saved and loaded state");
        if (variant.Contains("lstm")) Assert.Contains("layers.1.cells", loaded.Tensors.Keys);
        Assert.Contains("layers.1.history", loaded.Tensors.Keys);
        if (variant.Contains("local_attention=false")) Assert.DoesNotContain("layers.0.keys", loaded.Tensors.Keys);
    }

    [Fact]
    public void TrainingStepsAndStreamingStepsLeakNoTensors()
    {
        using var model = NsmTestModels.Create("model.cross_layer_states=true", "model.propagator=lstm");
        model.train();
        var optimizer = optim.AdamW(model.parameters(), 1e-3);
        var tokens = randint(0, NsmTestModels.Vocab, [2, 24]);
        void TrainStep()
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var logits = model.forward(tokens, null);
            var loss = nn.functional.cross_entropy(logits.reshape(-1, NsmTestModels.Vocab), tokens.reshape(-1));
            (model.AuxiliaryLoss() is { } aux ? loss + aux : loss).backward();
            optimizer.step();
        }
        TrainStep();
        TrainStep();
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (var i = 0; i < 4; i++) TrainStep();
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);

        model.eval();
        using var noGrad = no_grad();
        var state = model.InitialState(1);
        var input = tensor(new long[] { 3 }).view(1, 1);
        before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (var i = 0; i < 20; i++)
        {
            using var scope = NewDisposeScope();
            var (logits, next) = model.Forward(input, state);
            state.Dispose();
            state = next.MoveToOuterDisposeScope();
        }
        state.Dispose();
        Assert.Equal(before - state.Tensors.Count, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
