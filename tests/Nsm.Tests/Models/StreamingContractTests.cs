using static TorchSharp.torch;
using Nsm.Models;
using Nsm.Tests.Models.Nsm;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models;

/// <summary>
/// The streaming contract (<see cref="StreamingContract"/>) over every streaming model kind: the
/// causal baselines, the Transformer with its key-value cache, and the NSM plain (both write sources), hybrid and
/// with external memory.
/// </summary>
public sealed class StreamingContractTests : SingleThreadTest
{
    /// <summary>Case names: a baseline kind, or "nsm" with its overrides after a colon.</summary>
    public static TheoryData<string> Kinds() => new()
    {
        "lstm", "gru", "rwkv", "s4d", "mamba", "transformer",
        "nsm:", "nsm:model.write_source=input", "nsm:model.layer_pattern=NL", "nsm:model.layer_pattern=TN",
        "nsm:model.memory_rows=6,model.memory_width=4",
    };

    /// <summary>The model of a case, seeded and in eval mode, and whether its state is bounded.</summary>
    private static (SequenceModel Model, bool Bounded) Build(string kind)
    {
        if (kind.StartsWith("nsm:"))
        {
            var model = NsmTestModels.Create(NsmTestModels.Split(kind["nsm:".Length..]));
            return (model, model.HasBoundedState);
        }
        return (BaselineFixtures.Build(BaselineFixtures.Tiny(kind), BaselineFixtures.LanguageModel(128)), kind != "transformer");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void OneCallEqualsPiecesEqualsTokenByToken(string kind)
    {
        var (model, _) = Build(kind);
        using var owned = model;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(4);
        foreach (var length in new[] { 1, 7, 63 })
            StreamingContract.OneCallEqualsPiecesEqualsTokenByToken(model, randint(0, 11, [2, length]), kind);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void SavedStateResumesTheStreamExactly(string kind)
    {
        var (model, _) = Build(kind);
        using var owned = model;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(5);
        var tokens = randint(0, 11, [2, 30]);
        StreamingContract.SavedStateResumesExactly((IStreamingModel)model, tokens, 1, kind);
        StreamingContract.SavedStateResumesExactly((IStreamingModel)model, tokens, 19, kind);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void BoundedStatesDoNotGrowWithTheContext(string kind)
    {
        var (model, bounded) = Build(kind);
        using var owned = model;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(6);
        // Pieces of 8 tokens: every chunk, window and scan boundary of the tiny models repeats with them.
        var sizes = StreamingContract.StateSizes((IStreamingModel)model, randint(0, 11, [1, 96]), 8, kind);
        if (bounded)
            Assert.True(sizes[5] == sizes[^1], $"{kind}: the state grew from {sizes[5]} bytes after 48 tokens to {sizes[^1]} after 96");
        else
            Assert.True(sizes[^1] > sizes[5], $"{kind}: a state with full attention should grow with the context");
    }
}
