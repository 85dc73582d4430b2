using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nsm.Models.Nsm;

/// <summary>
/// LSTM slot update with its own cell state C carried beside the slots (the hidden state):
/// i, f, o = sigmoid(.), c~ = tanh(.) from W·[S; U]; C* = f·C + i·c~, S* = o·tanh(C*);
/// both move towards the LSTM result by the write gate g = 1 - exp(-m):
/// C' = C + g·(C* - C), S' = S + g·(S* - S). (B, s, d) in and out.
/// </summary>
public sealed class LstmPropagator : StatePropagator
{
    private readonly Linear gates;

    public LstmPropagator(long dim) : base(nameof(LstmPropagator))
    {
        gates = nn.Linear(2 * dim, 4 * dim);
        using (no_grad())
        {
            // Forget-gate bias 1 (Jozefowicz et al. 2015): remember by default.
            gates.bias!.narrow(0, dim, dim).fill_(1.0);
        }
        RegisterComponents();
    }

    public override bool HasCells => true;

    public override (Tensor Slots, Tensor? Cells) Update(Tensor slots, Tensor? cells, Tensor candidate, Tensor mass)
    {
        if (cells is null) throw new ArgumentNullException(nameof(cells), "the LSTM propagator needs its cell state");
        using var scope = NewDisposeScope();
        var parts = gates.forward(cat([slots, candidate], -1)).chunk(4, -1);          // 4 x (B, s, d)
        var (input, forget, output, proposal) = (parts[0].sigmoid(), parts[1].sigmoid(), parts[2].sigmoid(), parts[3].tanh());
        var lstmCells = forget * cells + input * proposal;
        var lstmHidden = output * lstmCells.tanh();
        var g = WriteGate(mass);
        var newCells = cells + g * (lstmCells - cells);
        var newSlots = slots + g * (lstmHidden - slots);
        return (newSlots.MoveToOuterDisposeScope(), newCells.MoveToOuterDisposeScope());
    }

    /// <summary>[U·W_U^T + b, g] (M, s, 5d).</summary>
    public override Tensor InputTerms(Tensor candidate, Tensor mass)
    {
        using var scope = NewDisposeScope();
        var preactivation = nn.functional.linear(candidate, Halves(gates.weight!).InputHalf, gates.bias);       // (M, s, 4d)
        return cat([preactivation, WriteGate(mass)], -1).MoveToOuterDisposeScope();
    }

    public override (Tensor Slots, Tensor? Cells) Step(Tensor slots, Tensor? cells, Tensor terms)
    {
        if (cells is null) throw new ArgumentNullException(nameof(cells), "the LSTM propagator needs its cell state");
        using var scope = NewDisposeScope();
        var d = slots.shape[^1];
        var parts = terms.split([4 * d, d], -1);
        var gatesOut = (nn.functional.linear(slots, Halves(gates.weight!).SlotHalf) + parts[0]).chunk(4, -1);   // 4 x (B, s, d)
        var (input, forget, output, proposal) = (gatesOut[0].sigmoid(), gatesOut[1].sigmoid(), gatesOut[2].sigmoid(), gatesOut[3].tanh());
        var lstmCells = forget * cells + input * proposal;
        var lstmHidden = output * lstmCells.tanh();
        var g = parts[1];
        var newCells = cells + g * (lstmCells - cells);
        var newSlots = slots + g * (lstmHidden - slots);
        return (newSlots.MoveToOuterDisposeScope(), newCells.MoveToOuterDisposeScope());
    }
}
