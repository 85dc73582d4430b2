using static TorchSharp.torch;
using Nsm.Core;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models.Linformer;

public sealed class LinformerTests : SingleThreadTest
{
    [Fact]
    public void CausalTaskIsAConfigError()
    {
        var error = Assert.Throws<ConfigException>(() => BaselineFixtures.Build(BaselineFixtures.Tiny("linformer"), BaselineFixtures.LanguageModel()));
        Assert.Contains("'model.kind' = \"linformer\"", error.Message);
        Assert.Contains("causal", error.Message);
    }

    [Fact]
    public void PaddedClassificationBatchEqualsOneByOne()
    {
        using var model = BaselineFixtures.Build(BaselineFixtures.Tiny("linformer"), BaselineFixtures.Classifier());
        CausalBaselineTests.AssertPaddedEqualsOneByOne(model, "linformer");
    }

    [Fact]
    public void EveryPositionSeesTheWholeSequence()
    {
        var spec = new TaskSpec(11, 0, TaskOutput.PerToken, 11, Causal: false, MaxLength: 16);
        using var model = BaselineFixtures.Build(BaselineFixtures.Tiny("linformer"), spec);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(61);
        var tokens = randint(0, 11, [2, 16]);
        var changed = tokens.clone();
        changed[.., 15] = (changed[.., 15] + 1) % 11;
        var a = model.forward(tokens, null);
        var b = model.forward(changed, null);
        Assert.Equal(new long[] { 2, 16, 11 }, a.shape);
        Assert.False(a[.., 0].allclose(b[.., 0]), "the first position should see a change at the last one");
    }

    [Fact]
    public void TinyClassifierTrainsForwardAndBackward()
    {
        using var model = BaselineFixtures.Build(BaselineFixtures.Tiny("linformer"), BaselineFixtures.Classifier());
        model.train();
        using var scope = NewDisposeScope();
        manual_seed(62);
        var tokens = randint(0, 11, [4, 20]);
        var mask = ones([4, 20], ScalarType.Bool);
        mask[1, 12..] = false;
        var logits = model.forward(tokens, mask);
        Assert.Equal(new long[] { 4, 3 }, logits.shape);
        nn.functional.cross_entropy(logits, tensor(new long[] { 0, 1, 2, 1 })).backward();
        foreach (var (name, p) in model.named_parameters())
        {
            Assert.True(p.grad is not null && p.grad.isfinite().all().item<bool>(), $"gradient of {name} missing or not finite");
            // Positions and projection columns past the longest sequence (20 of 24) are never used.
            if (name != "pos_emb" && !name.EndsWith("proj_e.weight", StringComparison.Ordinal) && !name.EndsWith("proj_f.weight", StringComparison.Ordinal))
                Assert.True(p.grad.abs().sum().item<float>() > 0, $"gradient of {name} is zero");
        }
    }

    [Fact]
    public void SequencesLongerThanTheTaskAreRefused()
    {
        using var model = BaselineFixtures.Build(BaselineFixtures.Tiny("linformer"), BaselineFixtures.Classifier(maxLength: 8));
        using var tokens = zeros([1, 9], ScalarType.Int64);
        Assert.Throws<ArgumentException>(() => model.forward(tokens, null));
    }

    [Fact]
    public void KeysAndValuesAreProjectedToLinformerK()
    {
        using var model = BaselineFixtures.Build(BaselineFixtures.Tiny("linformer", "model.linformer_k=5"), BaselineFixtures.Classifier(maxLength: 24));
        var projections = model.named_parameters().Where(p => p.name.Contains("proj_e") || p.name.Contains("proj_f")).ToList();
        Assert.Equal(4, projections.Count);
        foreach (var (_, p) in projections) Assert.Equal(new long[] { 5, 24 }, p.shape);
    }
}
