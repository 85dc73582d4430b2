using static TorchSharp.torch;
using Nsm.Core;
using Nsm.Models.Transformer;
using Nsm.Tests.Support;

namespace Nsm.Tests.Models;

public sealed class TransformerCausalityTests
{
    [Fact]
    public void ChangingFutureTokensLeavesPastOutputsUnchanged()
    {
        manual_seed(0);
        var spec = new TaskSpec(11, 0, TaskOutput.PerToken, 11, Causal: true, MaxLength: 20);
        using var model = new TransformerModel(TestConfigs.TinyCopy().Model, spec);
        model.eval();
        using var scope = NewDisposeScope();
        var tokens = randint(0, 11, [2, 20]);
        var changed = tokens.clone();
        changed[.., 13..] = randint(0, 11, [2, 7]);
        var a = model.forward(tokens, null);
        var b = model.forward(changed, null);
        TensorAssert.Close(a[.., ..13], b[.., ..13], atol: 1e-6, what: "outputs before the change");
        Assert.False(a[.., 13..].allclose(b[.., 13..]), "outputs after the change should differ");
    }
}
