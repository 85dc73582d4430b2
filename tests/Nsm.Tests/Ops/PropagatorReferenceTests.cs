using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Models.Nsm;
using Nsm.Ops;
using Nsm.Tests.Support;

namespace Nsm.Tests.Ops;

/// <summary>
/// Each slot update rule, in both of its fast forms (the sequential <c>Update</c> and the parallel
/// form's <c>InputTerms</c> then <c>Step</c>), against <see cref="PropagatorReference"/>, on the
/// new slots (and cells) and the gradients of slots, cells, candidate, mass and every parameter.
/// The length here is the number of slots.
/// </summary>
public sealed class PropagatorReferenceTests : SingleThreadTest
{
    private const long D = 6;

    public static TheoryData<NsmPropagator, long, bool> Cases()
    {
        var data = new TheoryData<NsmPropagator, long, bool>();
        foreach (var kind in Enum.GetValues<NsmPropagator>())
            foreach (var s in new long[] { 1, 7, 63, 100 })
                foreach (var parallel in new[] { false, true })
                    data.Add(kind, s, parallel);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PropagatorAgreesWithReference(NsmPropagator kind, long s, bool parallel)
    {
        using var scope = NewDisposeScope();
        manual_seed(12);
        var rule = StatePropagator.Create(kind, D);
        // Write masses from none (the slot keeps its content) to a lot.
        var mass = rand(2, s, D) * 3 * rand(2, s, D).gt(0.2).to(ScalarType.Float32);
        var inputs = new[] { randn(2, s, D), randn(2, s, D), mass, randn(2, s, D) };   // slots, candidate, mass, cells
        ParameterGradientCheck.Agree(
            x =>
            {
                var cells = rule.HasCells ? x[3] : null;
                var (slots, newCells) = parallel ? rule.Step(x[0], cells, rule.InputTerms(x[1], x[2])) : rule.Update(x[0], cells, x[1], x[2]);
                return newCells is null ? [slots] : [slots, newCells];
            },
            ParameterGradientCheck.Of(rule),
            (x, p) => kind switch
            {
                NsmPropagator.Gru => [PropagatorReference.Gru(x[0], x[1], x[2], p["gates.weight"], p["gates.bias"], p["candidate_proj.weight"], p["candidate_proj.bias"])],
                NsmPropagator.Lstm => Pair(PropagatorReference.Lstm(x[0], x[3], x[1], x[2], p["gates.weight"], p["gates.bias"])),
                NsmPropagator.Linear => [PropagatorReference.Linear(x[0], x[1], x[2], p["forget_proj.weight"], p["forget_proj.bias"])],
                NsmPropagator.Decay => [PropagatorReference.Decay(x[0], x[1], x[2], p["forget_proj.weight"], p["forget_proj.bias"])],
                _ => throw new ArgumentOutOfRangeException(nameof(kind)),
            },
            inputs, atol: 2e-5, rtol: 1e-3, what: $"{kind} s={s} parallel={parallel}");
    }

    private static Tensor[] Pair((Tensor Slots, Tensor Cells) x) => [x.Slots, x.Cells];
}
