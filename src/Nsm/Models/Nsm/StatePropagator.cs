using TorchSharp;
using static TorchSharp.torch;
using Nsm.Config;

namespace Nsm.Models.Nsm;

/// <summary>
/// Per-slot update from the previous slot S (B, s, d) and the written candidate U (B, s, d).
/// Every rule is scaled by g = 1 - exp(-m) of the write mass m (B, s, d): a slot nobody wrote to
/// (m = 0, including chunks of padding) keeps its content. Implementations:
/// <see cref="GruPropagator"/>, <see cref="LstmPropagator"/>, <see cref="LinearPropagator"/>,
/// <see cref="DecayPropagator"/>.
/// </summary>
public abstract class StatePropagator : nn.Module
{
    protected StatePropagator(string name) : base(name)
    {
    }

    /// <summary>Whether the rule carries its own cell state beside the slots (LSTM).</summary>
    public virtual bool HasCells => false;

    /// <summary>
    /// Whether the layer clips the slots' RMS at 1 after this rule's update. Rules whose update
    /// is a convex combination of the slots and the candidate are bounded by their inputs and
    /// skip it, which keeps them linear in the slots.
    /// </summary>
    public virtual bool ClipsRms => true;

    /// <summary>
    /// slots, candidate, mass: (B, s, d); cells: (B, s, d) for rules with cells, else null.
    /// Returns the new slots and cells (B, s, d), before the layer clips the slots' RMS.
    /// </summary>
    public abstract (Tensor Slots, Tensor? Cells) Update(Tensor slots, Tensor? cells, Tensor candidate, Tensor mass);

    /// <summary>
    /// The part of the update that depends only on what was written, for M writes at once
    /// (the parallel form computes it for every chunk in one batched pass): candidates and
    /// masses (M, s, d) -> terms (M, s, e) that <see cref="Step"/> takes. The default keeps the
    /// candidate and the mass; rules override it to move their input-side matrix products here.
    /// </summary>
    public virtual Tensor InputTerms(Tensor candidate, Tensor mass) => cat([candidate, mass], -1);

    /// <summary>
    /// The update from slots and cells (B, s, d) and the <see cref="InputTerms"/> (B, s, e) of one
    /// write; equal to <see cref="Update"/> up to rounding (the input side's products are summed
    /// separately). Returns the new slots and cells (B, s, d).
    /// </summary>
    public virtual (Tensor Slots, Tensor? Cells) Step(Tensor slots, Tensor? cells, Tensor terms)
    {
        var parts = terms.chunk(2, -1);
        return Update(slots, cells, parts[0], parts[1]);
    }

    /// <summary>The two halves (out, d) of the weight (out, 2d) of a linear map over [S; U]: the one applied to S and the one applied to U.</summary>
    protected static (Tensor SlotHalf, Tensor InputHalf) Halves(Tensor weight)
    {
        var d = weight.shape[1] / 2;
        return (weight.narrow(1, 0, d), weight.narrow(1, d, d));
    }

    /// <summary>Builds the rule named by model.propagator.</summary>
    public static StatePropagator Create(NsmPropagator kind, long dim) => kind switch
    {
        NsmPropagator.Gru => new GruPropagator(dim),
        NsmPropagator.Lstm => new LstmPropagator(dim),
        NsmPropagator.Linear => new LinearPropagator(dim),
        NsmPropagator.Decay => new DecayPropagator(dim),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "model.propagator"),
    };

    /// <summary>Write gate g = 1 - exp(-m): 0 without writes, towards 1 with a lot of write mass.</summary>
    protected static Tensor WriteGate(Tensor mass) => 1 - (-mass).exp();
}
