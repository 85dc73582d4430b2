using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nsm.Models.Nsm;

/// <summary>
/// Decay slot update: S' = a·S + (1 - a)·U with a = 1 - g·(1 - f), f = sigmoid(W_f·U + b_f) and
/// the write gate g = 1 - exp(-m). Unlike <see cref="LinearPropagator"/> the gate reads only the
/// candidate, never S, so given the writes the update is a linear recurrence S_k = a_k·S_{k-1} + b_k
/// whose a_k and b_k = (1 - a_k)·U_k are known for every chunk before the loop (as in GLA and
/// Mamba): the parallel form computes them in one batched pass and its loop is one multiply-add
/// per chunk. A convex combination of S and U per channel, so no RMS clip is needed. (B, s, d) in and out.
/// </summary>
public sealed class DecayPropagator : StatePropagator
{
    private readonly Linear forget_proj;

    public DecayPropagator(long dim) : base(nameof(DecayPropagator))
    {
        forget_proj = nn.Linear(dim, dim);
        RegisterComponents();
    }

    public override bool ClipsRms => false;

    public override (Tensor Slots, Tensor? Cells) Update(Tensor slots, Tensor? cells, Tensor candidate, Tensor mass)
    {
        using var scope = NewDisposeScope();
        var keep = 1 - WriteGate(mass) * (1 - forget_proj.forward(candidate).sigmoid());   // a (B, s, d)
        var updated = keep * slots + (1 - keep) * candidate;
        return (updated.MoveToOuterDisposeScope(), null);
    }

    /// <summary>[a, (1 - a)·U] (M, s, 2d).</summary>
    public override Tensor InputTerms(Tensor candidate, Tensor mass)
    {
        using var scope = NewDisposeScope();
        var keep = 1 - WriteGate(mass) * (1 - forget_proj.forward(candidate).sigmoid());
        return cat([keep, (1 - keep) * candidate], -1).MoveToOuterDisposeScope();
    }

    public override (Tensor Slots, Tensor? Cells) Step(Tensor slots, Tensor? cells, Tensor terms)
    {
        using var scope = NewDisposeScope();
        var parts = terms.chunk(2, -1);                                                       // a, b: (B, s, d)
        return ((parts[0] * slots + parts[1]).MoveToOuterDisposeScope(), null);
    }
}
