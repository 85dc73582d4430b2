using TorchSharp;
using static TorchSharp.torch;
using Nsm.Config;

namespace Nsm.Models.Nsm;

/// <summary>
/// Per-slot update from the previous slot S (B, s, d) and the written candidate U (B, s, d).
/// Every rule is scaled by g = 1 - exp(-m) of the write mass m (B, s, d): a slot nobody wrote to
/// (m = 0, including chunks of padding) keeps its content. Implementations:
/// <see cref="GruPropagator"/>, <see cref="LstmPropagator"/>, <see cref="LinearPropagator"/>.
/// </summary>
public abstract class StatePropagator : nn.Module
{
    protected StatePropagator(string name) : base(name)
    {
    }

    /// <summary>Whether the rule carries its own cell state beside the slots (LSTM).</summary>
    public virtual bool HasCells => false;

    /// <summary>
    /// slots, candidate, mass: (B, s, d); cells: (B, s, d) for rules with cells, else null.
    /// Returns the new slots and cells (B, s, d), before the layer clips the slots' RMS.
    /// </summary>
    public abstract (Tensor Slots, Tensor? Cells) Update(Tensor slots, Tensor? cells, Tensor candidate, Tensor mass);

    /// <summary>Builds the rule named by model.propagator.</summary>
    public static StatePropagator Create(NsmPropagator kind, long dim) => kind switch
    {
        NsmPropagator.Gru => new GruPropagator(dim),
        NsmPropagator.Lstm => new LstmPropagator(dim),
        NsmPropagator.Linear => new LinearPropagator(dim),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "model.propagator"),
    };

    /// <summary>Write gate g = 1 - exp(-m): 0 without writes, towards 1 with a lot of write mass.</summary>
    protected static Tensor WriteGate(Tensor mass) => 1 - (-mass).exp();
}
