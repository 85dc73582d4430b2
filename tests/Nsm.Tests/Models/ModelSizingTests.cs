using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Models;
using Nsm.Registry;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models;

public sealed class ModelSizingTests : SingleThreadTest
{
    public static TheoryData<string> AllKinds()
    {
        var data = new TheoryData<string>();
        foreach (var kind in ModelRegistry.Kinds) data.Add(kind);
        return data;
    }

    private static TaskSpec SpecFor(string kind) => kind == "linformer" ? BaselineFixtures.Classifier() : BaselineFixtures.LanguageModel();

    private static long Count(ModelConfig config, TaskSpec spec)
    {
        using var model = ModelRegistry.Create(config, spec);
        return model.ParameterCount();
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void TargetParamsPicksTheClosestWidth(string kind)
    {
        const double target = 40_000;
        var spec = SpecFor(kind);
        var config = BaselineFixtures.Tiny(kind, $"model.target_params={target}");
        var resolved = ModelSizing.Resolve(config, spec, (c, s) => ModelRegistry.Create(c, s));
        var step = ModelSizing.Step(config);
        Assert.Equal(0, resolved.TargetParams);
        Assert.Equal(0, resolved.DModel % step);
        var error = Math.Abs(Count(resolved, spec) - target);
        var below = resolved with { DModel = (int)(resolved.DModel - step) };
        var above = resolved with { DModel = (int)(resolved.DModel + step) };
        if (below.DModel > 0) Assert.True(error <= Math.Abs(Count(below, spec) - target), $"{kind}: d_model {below.DModel} is closer to the target than {resolved.DModel}");
        Assert.True(error <= Math.Abs(Count(above, spec) - target), $"{kind}: d_model {above.DModel} is closer to the target than {resolved.DModel}");
        // Registry.Create applies the sizing.
        using var model = ModelRegistry.Create(config, spec);
        Assert.Equal(Count(resolved, spec), model.ParameterCount());
    }

    [Fact]
    public void SizedModelIsInitialisedAsIfTheWidthWasGiven()
    {
        var spec = BaselineFixtures.LanguageModel();
        var config = BaselineFixtures.Tiny("mamba", "model.target_params=30000");
        var resolved = ModelSizing.Resolve(config, spec, (c, s) => ModelRegistry.Create(c, s));
        using var sized = BaselineFixtures.Build(config, spec, seed: 7);
        using var direct = BaselineFixtures.Build(resolved, spec, seed: 7);
        var a = sized.named_parameters().ToList();
        var b = direct.named_parameters().ToList();
        Assert.Equal(b.Count, a.Count);
        for (var i = 0; i < a.Count; i++)
            TensorAssert.Close(b[i].parameter, a[i].parameter, atol: 0, rtol: 0, what: a[i].name);
    }

    [Fact]
    public void ZeroTargetKeepsTheConfig()
    {
        var config = BaselineFixtures.Tiny("lstm");
        Assert.Same(config, ModelSizing.Resolve(config, BaselineFixtures.LanguageModel(), (c, s) => throw new InvalidOperationException("must not build")));
    }

    [Theory]
    [InlineData(1, 8)]
    [InlineData(4, 8)]
    [InlineData(3, 24)]
    [InlineData(8, 16)]
    public void WidthStepIsAMultipleOfEightAndOfTwiceTheHeads(int heads, long step)
    {
        Assert.Equal(step, ModelSizing.Step(new ModelConfig { NumHeads = heads }));
    }
}
