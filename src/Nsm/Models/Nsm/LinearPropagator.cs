using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nsm.Models.Nsm;

/// <summary>
/// Gated linear slot update with a data-dependent forget gate f = sigmoid(W_f·[S; U] + b_f):
/// S' = f·S + (1 - f)·U, applied with the write gate g = 1 - exp(-m) as
/// S' = S + g·(1 - f)·(U - S). Linear in S given the gates, so it admits a parallel scan.
/// (B, s, d) in and out.
/// </summary>
public sealed class LinearPropagator : StatePropagator
{
    private readonly Linear forget_proj;

    public LinearPropagator(long dim) : base(nameof(LinearPropagator))
    {
        forget_proj = nn.Linear(2 * dim, dim);
        RegisterComponents();
    }

    public override (Tensor Slots, Tensor? Cells) Update(Tensor slots, Tensor? cells, Tensor candidate, Tensor mass)
    {
        using var scope = NewDisposeScope();
        var forget = forget_proj.forward(cat([slots, candidate], -1)).sigmoid();
        var updated = slots + WriteGate(mass) * (1 - forget) * (candidate - slots);
        return (updated.MoveToOuterDisposeScope(), null);
    }

    /// <summary>[U·W_f,U^T + b_f, U, g] (M, s, 3d).</summary>
    public override Tensor InputTerms(Tensor candidate, Tensor mass)
    {
        using var scope = NewDisposeScope();
        var forget = nn.functional.linear(candidate, Halves(forget_proj.weight!).InputHalf, forget_proj.bias);  // (M, s, d)
        return cat([forget, candidate, WriteGate(mass)], -1).MoveToOuterDisposeScope();
    }

    public override (Tensor Slots, Tensor? Cells) Step(Tensor slots, Tensor? cells, Tensor terms)
    {
        using var scope = NewDisposeScope();
        var parts = terms.chunk(3, -1);                                                                         // 3 x (B, s, d)
        var forget = (nn.functional.linear(slots, Halves(forget_proj.weight!).SlotHalf) + parts[0]).sigmoid();
        var updated = slots + parts[2] * (1 - forget) * (parts[1] - slots);
        return (updated.MoveToOuterDisposeScope(), null);
    }
}
