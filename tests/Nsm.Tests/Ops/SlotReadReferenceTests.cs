using static TorchSharp.torch;
using Nsm.Models.Nsm;
using Nsm.Ops;
using Nsm.Tests.Support;

namespace Nsm.Tests.Ops;

/// <summary>
/// The slot read (<see cref="StateRead"/> over <see cref="SlotAttention"/>, with the importance
/// bias of <see cref="StateManager.Context"/>) against <see cref="SlotReadReference"/>, on
/// outputs, log-normalisers, weights and the gradients of queries, slots, the read's parameters
/// and the importance logits.
/// </summary>
public sealed class SlotReadReferenceTests : SingleThreadTest
{
    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(7, 5, 3, 2)]      // two inactive slots
    [InlineData(63, 4, 4, 1)]
    [InlineData(100, 6, 5, 2)]
    public void ReadAgreesWithReferenceOnOutputsAndGradients(long n, long s, long active, long heads)
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        const long d = 8;
        var (read, manager) = Build(d, heads, s, active);
        var inputs = new[] { randn(2, heads, n, d / heads), randn(2, s, d) };
        ParameterGradientCheck.Agree(
            x => { var (o, l, w) = read.Read(x[0], x[1], manager.Context().LogitBias); return [o, l, w]; },
            ParameterGradientCheck.Of(read, ("importance", manager.Importance)),
            (x, p) => Reference(x[0], x[1], p, manager),
            inputs, atol: 2e-5, rtol: 1e-3, what: $"slot read n={n} s={s} heads={heads}");
    }

    [Theory]
    [InlineData(3, 7, 5, 3)]
    [InlineData(1, 1, 2, 2)]
    public void GroupReadAgreesWithReferenceOnOutputsAndGradients(long groups, long c, long s, long active)
    {
        using var scope = NewDisposeScope();
        manual_seed(8);
        const long d = 8, heads = 2;
        var (read, manager) = Build(d, heads, s, active);
        var inputs = new[] { randn([2, heads, groups, c, d / heads]), randn(2, groups, s, d) };
        ParameterGradientCheck.Agree(
            x => { var (o, l, w) = read.ReadGroups(x[0], x[1], manager.Context().LogitBias); return [o, l, w]; },
            ParameterGradientCheck.Of(read, ("importance", manager.Importance)),
            (x, p) =>
            {
                var per = Enumerable.Range(0, (int)groups).Select(g => Reference(x[0].select(2, g), x[1].select(1, g), p, manager)).ToArray();
                return [.. Enumerable.Range(0, 3).Select(i => stack(per.Select(r => r[i]), 2))];
            },
            inputs, atol: 2e-5, rtol: 1e-3, what: $"group read G={groups} c={c} s={s}");
    }

    private static (StateRead Read, StateManager Manager) Build(long d, long heads, long s, long active)
    {
        var read = new StateRead(d, heads);
        var manager = new StateManager(s, active, d, 0.0);
        using (no_grad())
        {
            manager.Importance.copy_(randn(s) * 2);
            foreach (var p in read.parameters()) if (p.dim() == 1) p.copy_(rand(p.shape) + 0.5);   // a norm gain that is not all ones
        }
        return (read, manager);
    }

    private static Tensor[] Reference(Tensor queries, Tensor slots, IReadOnlyDictionary<string, Tensor> p, StateManager manager)
    {
        var (o, l, w) = SlotReadReference.Read(queries, slots, p["slot_norm.weight"], p["kv_proj.weight"], p["importance"], manager.ActiveMask);
        return [o, l, w];
    }
}
