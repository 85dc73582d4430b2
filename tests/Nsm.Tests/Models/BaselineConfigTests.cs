using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Registry;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models;

public sealed class BaselineConfigTests : SingleThreadTest
{
    [Fact]
    public void RegistryListsEveryBaseline()
    {
        Assert.Subset(ModelRegistry.Kinds.ToHashSet(), new HashSet<string> { "gru", "linformer", "lstm", "mamba", "rwkv", "s4d", "transformer" });
    }

    [Theory]
    [InlineData("s4d")]
    [InlineData("mamba")]
    public void DtMinMustBeBelowDtMax(string kind)
    {
        var error = Assert.Throws<ConfigException>(() => BaselineFixtures.Build(BaselineFixtures.Tiny(kind, "model.dt_min=0.2", "model.dt_max=0.1"), BaselineFixtures.LanguageModel()));
        Assert.Contains("'model.dt_min'", error.Message);
    }

    [Fact]
    public void UnknownS4dInitNamesTheAllowedValues()
    {
        var error = Assert.Throws<ConfigException>(() => BaselineFixtures.Tiny("s4d", "model.s4d_init=legs"));
        Assert.Contains("'model.s4d_init'", error.Message);
        Assert.Contains("lin, inv", error.Message);
    }

    [Theory]
    [InlineData("model.state_size=-1")]
    [InlineData("model.conv_kernel=0")]
    [InlineData("model.expand=0")]
    [InlineData("model.linformer_k=0")]
    [InlineData("model.scan_chunk=-2")]
    public void OutOfRangeValuesAreRejected(string setting)
    {
        var error = Assert.Throws<ConfigException>(() => BaselineFixtures.Tiny("mamba", setting));
        Assert.Contains(setting.Split('=')[0], error.Message);
    }

    [Fact]
    public void DefaultStateSizesFollowThePapers()
    {
        var spec = BaselineFixtures.LanguageModel();
        using var s4d = BaselineFixtures.Build(BaselineFixtures.Tiny("s4d", "model.state_size=0"), spec);
        using var mamba = BaselineFixtures.Build(BaselineFixtures.Tiny("mamba", "model.state_size=0"), spec);
        // S4D: C is (H, N/2, 2) with N = 64; Mamba: A is E * N with E = 2 * 16 and N = 16.
        Assert.Equal(new long[] { 16, 32, 2 }, s4d.named_parameters().First(p => p.name.EndsWith(".c", StringComparison.Ordinal)).parameter.shape);
        Assert.Equal(new long[] { 32 * 16 }, mamba.named_parameters().First(p => p.name.EndsWith("a_log", StringComparison.Ordinal)).parameter.shape);
    }

    [Theory]
    [InlineData("copy-lstm", "lstm")]
    [InlineData("copy-rwkv", "rwkv")]
    [InlineData("copy-s4d", "s4d")]
    [InlineData("copy-mamba", "mamba")]
    public void CopyPresetsLoadAndBuild(string preset, string kind)
    {
        var config = ConfigLoader.LoadPreset(preset);
        Assert.Equal(kind, config.Model.Kind);
        Assert.Equal("copy", config.Task.Name);
        var task = TaskRegistry.Create(config.Task, config.Train.Seed);
        using var model = ModelRegistry.Create(config.Model, task.Spec);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var batch = task.TrainBatch(0, 2, CPU);
        Assert.Equal(new long[] { 2, batch.Inputs.shape[1], task.Spec.NumClasses }, model.forward(batch.Inputs, null).shape);
    }
}
