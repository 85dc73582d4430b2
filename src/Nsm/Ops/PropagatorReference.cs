using static TorchSharp.torch;

namespace Nsm.Ops;

/// <summary>
/// Plain references of the NSM's slot update rules, from their equations. Every rule reads the
/// previous slots S, the candidate U and the write mass m (all (B, s, d)) and is scaled by the
/// write gate g = 1 - exp(-m). A weight (out, 2d) over [S; U] is written as its two halves,
/// W = [W_S, W_U], so W·[S; U] = W_S·S + W_U·U. Gate blocks are taken in the order the
/// equations name them (rows 0..d-1 the first gate, d..2d-1 the second, ...).
/// </summary>
internal static class PropagatorReference
{
    private static Tensor Gate(Tensor mass) => 1 - (-mass).exp();

    /// <summary>W_S·S + W_U·U + b for the rows block of gate index (d rows each) of weight (·, 2d).</summary>
    private static Tensor Pre(Tensor weight, Tensor? bias, long block, Tensor slots, Tensor candidate)
    {
        var d = slots.shape[^1];
        var rows = weight.narrow(0, block * d, d);
        var y = slots.matmul(rows.narrow(1, 0, d).t()) + candidate.matmul(rows.narrow(1, d, d).t());
        return bias is null ? y : y + bias.narrow(0, block * d, d);
    }

    /// <summary>
    /// GRU: z = σ(W_z·[S; U] + b_z), r = σ(W_r·[S; U] + b_r), S~ = tanh(W_h·[r⊙S; U] + b_h),
    /// S' = S + g⊙z⊙(S~ - S). gatesWeight (2d, 2d), gatesBias (2d) hold z then r; candidateWeight (d, 2d), candidateBias (d).
    /// </summary>
    public static Tensor Gru(Tensor slots, Tensor candidate, Tensor mass, Tensor gatesWeight, Tensor gatesBias, Tensor candidateWeight, Tensor candidateBias)
    {
        var z = ReferenceMath.Logistic(Pre(gatesWeight, gatesBias, 0, slots, candidate));
        var r = ReferenceMath.Logistic(Pre(gatesWeight, gatesBias, 1, slots, candidate));
        var proposal = Pre(candidateWeight, candidateBias, 0, r * slots, candidate).tanh();
        return slots + Gate(mass) * z * (proposal - slots);
    }

    /// <summary>
    /// LSTM with cells C: i, f, o = σ(W_{i,f,o}·[S; U] + b), c~ = tanh(W_c·[S; U] + b_c),
    /// C* = f⊙C + i⊙c~, S* = o⊙tanh(C*); C' = C + g⊙(C* - C), S' = S + g⊙(S* - S).
    /// weight (4d, 2d), bias (4d) hold i, f, o, c~. Returns (S', C').
    /// </summary>
    public static (Tensor Slots, Tensor Cells) Lstm(Tensor slots, Tensor cells, Tensor candidate, Tensor mass, Tensor weight, Tensor bias)
    {
        var input = ReferenceMath.Logistic(Pre(weight, bias, 0, slots, candidate));
        var forget = ReferenceMath.Logistic(Pre(weight, bias, 1, slots, candidate));
        var output = ReferenceMath.Logistic(Pre(weight, bias, 2, slots, candidate));
        var proposal = Pre(weight, bias, 3, slots, candidate).tanh();
        var lstmCells = forget * cells + input * proposal;
        var lstmSlots = output * lstmCells.tanh();
        var g = Gate(mass);
        return (slots + g * (lstmSlots - slots), cells + g * (lstmCells - cells));
    }

    /// <summary>Gated linear: f = σ(W_f·[S; U] + b_f), S' = S + g⊙(1 - f)⊙(U - S). weight (d, 2d), bias (d).</summary>
    public static Tensor Linear(Tensor slots, Tensor candidate, Tensor mass, Tensor weight, Tensor bias)
    {
        var forget = ReferenceMath.Logistic(Pre(weight, bias, 0, slots, candidate));
        return slots + Gate(mass) * (1 - forget) * (candidate - slots);
    }

    /// <summary>Decay: f = σ(W_f·U + b_f), a = 1 - g⊙(1 - f), S' = a⊙S + (1 - a)⊙U. weight (d, d), bias (d).</summary>
    public static Tensor Decay(Tensor slots, Tensor candidate, Tensor mass, Tensor weight, Tensor bias)
    {
        var forget = ReferenceMath.Logistic(ReferenceMath.Affine(candidate, weight, bias));
        var keep = 1 - Gate(mass) * (1 - forget);
        return keep * slots + (1 - keep) * candidate;
    }
}
