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
}
