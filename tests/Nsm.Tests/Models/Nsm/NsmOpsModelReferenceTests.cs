using static TorchSharp.torch;
using Nsm.Core;
using Nsm.Models.Nsm;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models.Nsm;

/// <summary>
/// The fast NSM model against <see cref="NsmOpsModelReference"/>, which is built only on the op
/// references and the parameters by name: outputs and the gradient of every parameter, for
/// every option of the layer (<see cref="NsmTestModels.Variants"/>, plus slots that are held but
/// inactive), causal at lengths that end inside a chunk, and non-causal with padding.
/// </summary>
public sealed class NsmOpsModelReferenceTests
{
    public static TheoryData<string> Variants()
    {
        var variants = NsmTestModels.Variants();
        variants.Add("model.max_states=12,model.initial_states=5");
        variants.Add("model.max_states=12,model.initial_states=5,model.router=slot,model.communication=topk,model.communication_top_k=2");
        return variants;
    }

    /// <summary>Five settings that switch on several options at once, so that their interactions are covered too.</summary>
    public static TheoryData<string> CombinedVariants() => new()
    {
        "",
        "model.fusion=gated,model.propagator=lstm,model.cross_layer_states=true,model.max_states=12,model.initial_states=5",
        "model.router=slot,model.communication=topk,model.communication_top_k=3,model.propagator=linear,model.window=3,model.chunk_size=5,model.write_conv=7",
        "model.write_source=input,model.propagator=decay,model.router_top_k=2,model.router_temperature=0.5,model.router_heads=2,model.router_null=false,model.cross_layer_states=true",
        "model.write_source=input,model.communication=none,model.local_attention=false,model.write_conv=1,model.write_positions=false,model.router=slot,model.propagator=lstm",
    };

    [Theory]
    [MemberData(nameof(CombinedVariants))]
    public void CausalModelMatchesTheOpsReference(string variant) => CausalCase(variant, 29);   // 29: the last chunk is incomplete

    [Theory]
    [MemberData(nameof(Variants))]
    public void CausalModelMatchesTheOpsReferenceInEverySetting(string variant) => CausalCase(variant, 43);

    private static void CausalCase(string variant, int length)
    {
        var overrides = NsmTestModels.Split(variant);
        using var model = NsmTestModels.Create(overrides);
        using var scope = NewDisposeScope();
        manual_seed(3);
        var tokens = randint(0, NsmTestModels.Vocab, [2, length]);
        var targets = randint(0, NsmTestModels.Vocab, [2, length]);

        var fast = model.forward(tokens, null);
        var fastGrads = NsmReferenceTests.Gradients(model, fast, targets);
        var reference = new NsmOpsModelReference(model, NsmTestModels.Config(overrides)).Forward(tokens);
        var referenceGrads = NsmReferenceTests.Gradients(model, reference, targets);

        AssertSame(reference, fast, referenceGrads, fastGrads);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void EncodeMatchesTheOpsReferenceWithPadding(string variant)
    {
        var overrides = NsmTestModels.Split(variant);
        using var model = NsmTestModels.Create(NsmTestModels.Classifier(), overrides);
        using var scope = NewDisposeScope();
        manual_seed(4);
        var tokens = randint(0, NsmTestModels.Vocab, [3, 29]);
        var valid = ones([3, 29], ScalarType.Bool);
        valid[1, 17..] = tensor(false);                                                     // sample 1: 17 real tokens, then padding
        var targets = tensor(new long[] { 0, 2, 1 });

        var fast = model.forward(tokens, valid);
        var fastGrads = NsmReferenceTests.Gradients(model, fast, targets);
        var reference = new NsmOpsModelReference(model, NsmTestModels.Config(overrides)).Encode(tokens, valid, classify: true);
        var referenceGrads = NsmReferenceTests.Gradients(model, reference, targets);

        AssertSame(reference, fast, referenceGrads, fastGrads);
    }

    [Fact]
    public void NonCausalPerTokenModelMatchesTheOpsReference()
    {
        var spec = new TaskSpec(NsmTestModels.Vocab, 0, TaskOutput.PerToken, NsmTestModels.Vocab, Causal: false, MaxLength: 64);
        using var model = NsmTestModels.Create(spec, "model.write_conv=3");
        using var scope = NewDisposeScope();
        manual_seed(5);
        var tokens = randint(0, NsmTestModels.Vocab, [2, 21]);
        var targets = randint(0, NsmTestModels.Vocab, [2, 21]);

        var fast = model.forward(tokens, null);
        var fastGrads = NsmReferenceTests.Gradients(model, fast, targets);
        var reference = new NsmOpsModelReference(model, NsmTestModels.Config("model.write_conv=3")).Encode(tokens, null, classify: false);
        var referenceGrads = NsmReferenceTests.Gradients(model, reference, targets);

        AssertSame(reference, fast, referenceGrads, fastGrads);
    }

    private static void AssertSame(Tensor reference, Tensor fast, Dictionary<string, Tensor> referenceGrads, Dictionary<string, Tensor> fastGrads)
    {
        TensorAssert.Close(reference, fast, atol: 1e-5, what: "outputs");
        Assert.Equal(referenceGrads.Keys.Order(), fastGrads.Keys.Order());
        foreach (var (name, expected) in referenceGrads)
        {
            // Relative to the gradient's scale: tiny components of large gradients differ in the last bits.
            var tolerance = 1e-5 + 1e-4 * expected.abs().max().item<float>();
            TensorAssert.Close(expected, fastGrads[name], atol: tolerance, rtol: 1e-3, what: $"gradient of {name}");
        }
    }
}
