using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nsm.Models.Nsm;

/// <summary>
/// GRU slot update: z, r = sigmoid(W_zr·[S; U]), S~ = tanh(W_h·[r*S; U]),
/// S' = S + g·z·(S~ - S) with g = 1 - exp(-m) from the write mass. (B, s, d) in and out.
/// </summary>
public sealed class GruPropagator : StatePropagator
{
    private readonly Linear gates;
    private readonly Linear candidate_proj;

    public GruPropagator(long dim) : base(nameof(GruPropagator))
    {
        gates = nn.Linear(2 * dim, 2 * dim);
        candidate_proj = nn.Linear(2 * dim, dim);
        RegisterComponents();
    }

    public override (Tensor Slots, Tensor? Cells) Update(Tensor slots, Tensor? cells, Tensor candidate, Tensor mass)
    {
        using var scope = NewDisposeScope();
        var zr = gates.forward(cat([slots, candidate], -1)).sigmoid().chunk(2, -1);   // 2 x (B, s, d)
        var (z, r) = (zr[0], zr[1]);
        var proposal = candidate_proj.forward(cat([r * slots, candidate], -1)).tanh();
        var updated = slots + WriteGate(mass) * z * (proposal - slots);
        return (updated.MoveToOuterDisposeScope(), null);
    }

    /// <summary>[U·W_zr,U^T + b_zr, U·W_h,U^T + b_h, g] (M, s, 4d).</summary>
    public override Tensor InputTerms(Tensor candidate, Tensor mass)
    {
        using var scope = NewDisposeScope();
        var zr = nn.functional.linear(candidate, Halves(gates.weight!).InputHalf, gates.bias);                  // (M, s, 2d)
        var proposal = nn.functional.linear(candidate, Halves(candidate_proj.weight!).InputHalf, candidate_proj.bias); // (M, s, d)
        return cat([zr, proposal, WriteGate(mass)], -1).MoveToOuterDisposeScope();
    }

    public override (Tensor Slots, Tensor? Cells) Step(Tensor slots, Tensor? cells, Tensor terms)
    {
        using var scope = NewDisposeScope();
        var d = slots.shape[^1];
        var parts = terms.split([2 * d, d, d], -1);                                                            // (B, s, 2d), (B, s, d), (B, s, d)
        var zr = (nn.functional.linear(slots, Halves(gates.weight!).SlotHalf) + parts[0]).sigmoid().chunk(2, -1);
        var (z, r) = (zr[0], zr[1]);
        var proposal = (nn.functional.linear(r * slots, Halves(candidate_proj.weight!).SlotHalf) + parts[1]).tanh();
        var updated = slots + parts[2] * z * (proposal - slots);
        return (updated.MoveToOuterDisposeScope(), null);
    }
}
