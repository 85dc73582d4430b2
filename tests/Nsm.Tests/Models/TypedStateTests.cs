using static TorchSharp.torch;
using Nsm.Core;
using Nsm.Models;
using Nsm.Models.S4d;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models;

/// <summary>
/// The typed per-layer streaming state (<see cref="ILayerState"/> inside <see cref="ModelState"/>):
/// a model reads back the typed state it made without names, reads a state made from names by
/// name, and a state of another kind of model fails naming the missing tensor.
/// </summary>
public sealed class TypedStateTests : SingleThreadTest
{
    [Fact]
    public void ATypedLayerStateIsReadBackAsItIsWithoutNames()
    {
        using var scope = NewDisposeScope();
        var layer = new S4dLayerState(zeros(2, 3, 4, 2));
        var state = ModelState.FromLayers([layer], 5);
        var read = state.Layer<S4dLayerState>(0, _ => throw new InvalidOperationException("a typed state must not be read by name"));
        Assert.Same(layer, read);
        Assert.Equal(["layers.0.ssm"], state.Tensors.Keys);
        Assert.Same(layer.Ssm, state["layers.0.ssm"]);
    }

    [Fact]
    public void AStateMadeFromNamesIsReadByName()
    {
        using var scope = NewDisposeScope();
        var ssm = ones(1, 2, 2, 2);
        var state = new ModelState(new Dictionary<string, Tensor> { [ModelState.LayerKey(1, "ssm")] = ssm }, 3);
        var read = state.Layer(1, S4dLayerState.From);
        Assert.Same(ssm, read.Ssm);
        var error = Assert.Throws<ArgumentException>(() => state.Layer(0, S4dLayerState.From));
        Assert.Contains("'layers.0.ssm'", error.Message);
    }

    [Theory]
    [InlineData("transformer", "s4d", "layers.0.ssm")]
    [InlineData("s4d", "mamba", "layers.0.conv")]
    [InlineData("mamba", "rwkv", "layers.0.att_shift")]
    [InlineData("rwkv", "transformer", "layers.0.keys")]
    [InlineData("transformer", "lstm", "'h'")]
    public void AStateOfAnotherKindOfModelFailsNamingTheMissingTensor(string maker, string user, string missing)
    {
        using var made = BaselineFixtures.Build(BaselineFixtures.Tiny(maker), BaselineFixtures.LanguageModel());
        using var using_ = BaselineFixtures.Build(BaselineFixtures.Tiny(user), BaselineFixtures.LanguageModel());
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = randint(0, 11, [1, 6]);
        var (_, state) = ((IStreamingModel)made).Forward(tokens, ((IStreamingModel)made).InitialState(1));
        var error = Assert.Throws<ArgumentException>(() => ((IStreamingModel)using_).Forward(tokens, state));
        Assert.Contains(missing, error.Message);
        Assert.Contains("was it made by this model?", error.Message);
    }
}
