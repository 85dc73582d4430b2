using static TorchSharp.torch;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models.Nsm;

public sealed class NsmCausalityTests
{
    [Theory]
    [MemberData(nameof(NsmTestModels.Variants), MemberType = typeof(NsmTestModels))]
    public void ChangingFutureTokensLeavesPastOutputsUnchanged(string variant)
    {
        using var model = NsmTestModels.Create(NsmTestModels.Split(variant));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = randint(0, NsmTestModels.Vocab, [2, 40]);
        // t = 7 ends a chunk of 8; t = 20 sits inside a chunk for chunk 8 and 5, so the change also hits the open chunk.
        foreach (var t in new[] { 7, 20 })
        {
            var changed = tokens.clone();
            changed[.., (t + 1)..] = randint(0, NsmTestModels.Vocab, [2, 40 - t - 1]);
            var a = model.forward(tokens, null);
            var b = model.forward(changed, null);
            TensorAssert.Close(a[.., ..(t + 1)], b[.., ..(t + 1)], atol: 1e-6, rtol: 0, what: $"outputs up to {t}");
            Assert.False(a[.., (t + 1)..].allclose(b[.., (t + 1)..]), "outputs after the change should differ");
        }
    }

    [Fact]
    public void SlotsCarryInformationBeyondTheWindow()
    {
        // Without this the causality test would also pass for a model whose slots do nothing.
        using var model = NsmTestModels.Create();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = randint(0, NsmTestModels.Vocab, [1, 48]);
        var changed = tokens.clone();
        changed[0, 0] = (tokens[0, 0] + 1) % NsmTestModels.Vocab;
        var a = model.forward(tokens, null);
        var b = model.forward(changed, null);
        // Position 40 sees at most w + c - 1 = 15 tokens back locally; token 0 reaches it only through the slots.
        Assert.False(a[.., 40..].allclose(b[.., 40..], rtol: 0, atol: 1e-6), "a change 40 tokens back should reach the output through the slots");
    }
}
