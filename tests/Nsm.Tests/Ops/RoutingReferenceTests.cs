using static TorchSharp.torch;
using Nsm.Models.Nsm;
using Nsm.Ops;
using Nsm.Tests.Support;

namespace Nsm.Tests.Ops;

/// <summary>
/// The two NSM writes, <see cref="TokenRouter"/> and <see cref="SlotRouter"/>, against
/// <see cref="RoutingReference"/>, on candidates, masses and the gradients of rows, slots, the
/// routers' parameters and the importance logits, with padding rows and inactive slots.
/// </summary>
public sealed class RoutingReferenceTests : SingleThreadTest
{
    private const long D = 8;

    [Theory]
    [InlineData(1, 1, 1.0, 0, false, 4, 4, 0.0)]
    [InlineData(7, 2, 0.5, 2, true, 5, 3, 0.0)]      // top-2 of 3 active slots, a null slot, tau 0.5
    [InlineData(63, 2, 1.0, 0, true, 6, 4, 0.0)]
    [InlineData(100, 1, 2.0, 3, false, 4, 4, 0.0)]
    [InlineData(100, 2, 1.0, 0, false, 1, 1, 0.0)]
    [InlineData(63, 2, 1.0, 0, true, 6, 4, 0.15)]    // a floor: weights at most 0.15 write nothing
    [InlineData(100, 1, 0.5, 2, false, 5, 4, 0.3)]
    public void TokenRoutingAgreesWithReference(long n, long heads, double temperature, int topK, bool nullSlot, long s, long active, double floor)
    {
        using var scope = NewDisposeScope();
        manual_seed(9);
        var router = new TokenRouter(D, s, heads, temperature, topK, nullSlot, floor);
        var manager = Manager(s, active);
        RandomiseSmall(router);
        var inputs = new[] { randn(2, n, D), randn(2, s, D), Valid(n) };
        ParameterGradientCheck.Agree(
            x => { var (u, m) = router.Write(x[0], x[2], x[1], manager.Context()); return [u, m]; },
            ParameterGradientCheck.Of(router, ("importance", manager.Importance)),
            (x, p) =>
            {
                var (u, m) = RoutingReference.TokenWrite(x[0], x[2], p["route_proj.weight"], p["value_proj.weight"], p.GetValueOrDefault("null_logit"),
                    p["importance"], manager.ActiveMask, heads, temperature, topK, floor);
                return [u, m];
            },
            inputs, atol: 2e-5, rtol: 1e-3, what: $"token routing n={n} heads={heads} tau={temperature} top={topK} null={nullSlot} floor={floor}");
    }

    [Theory]
    [InlineData(1, 1, false, 3, 3)]
    [InlineData(7, 2, true, 5, 3)]      // with the null key inactive slots take nothing
    [InlineData(63, 2, false, 4, 4)]
    [InlineData(100, 1, true, 6, 2)]
    public void SlotRoutingAgreesWithReference(long n, long heads, bool nullKey, long s, long active)
    {
        using var scope = NewDisposeScope();
        manual_seed(10);
        var router = new SlotRouter(D, heads, nullKey);
        var manager = Manager(s, active);
        RandomiseSmall(router);
        var inputs = new[] { randn(2, n, D), randn(2, s, D), Valid(n) };
        ParameterGradientCheck.Agree(
            x => { var (u, m) = router.Write(x[0], x[2], x[1], manager.Context()); return [u, m]; },
            ParameterGradientCheck.Of(router, ("importance", manager.Importance)),
            (x, p) =>
            {
                var (u, m) = RoutingReference.SlotWrite(x[0], x[2], x[1], p["slot_norm.weight"], p["query_proj.weight"], p["kv_proj.weight"],
                    p.GetValueOrDefault("null_logit"), p["importance"], manager.ActiveMask, heads);
                return [u, m];
            },
            inputs, atol: 2e-5, rtol: 1e-3, what: $"slot routing n={n} heads={heads} null={nullKey}");
    }

    /// <summary>Random padding with the first row of each sample real.</summary>
    private static Tensor Valid(long n)
    {
        var valid = rand(2, n).gt(0.3);
        valid.narrow(1, 0, 1).fill_(true);
        return valid;
    }

    private static StateManager Manager(long s, long active)
    {
        var manager = new StateManager(s, active, D, 0.0);
        using (no_grad()) manager.Importance.copy_(randn(s) * 2);
        return manager;
    }

    /// <summary>Gives the null logits and norm gains, which start at 0 and 1, values that test them.</summary>
    private static void RandomiseSmall(nn.Module module)
    {
        using var noGrad = no_grad();
        foreach (var p in module.parameters()) if (p.dim() == 1) p.copy_(randn(p.shape) * 0.5 + (p.shape[0] == D ? 1 : 0));
    }
}
