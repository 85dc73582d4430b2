using static TorchSharp.torch;

namespace Nsm.Ops;

/// <summary>
/// The addressing and memory operations of a Neural Turing Machine (Graves et al. 2014,
/// section 3), batched over samples and heads. Memory M: (B, m, w), m rows of width w; a
/// head's weighting over the rows: (B, H, m), a distribution per head.
///
/// Addressing, per head (equations 5-9 of the paper):
///   content      w_c(i) = softmax_i(beta · cos(k, M_i))
///   interpolate  w_g    = g · w_c + (1 - g) · w_prev
///   shift        w_s(i) = sum_j w_g(j) · s(i - j mod m), s a distribution over shifts -1, 0, +1
///   sharpen      w(i)   = w_s(i)^gamma / sum_j w_s(j)^gamma
/// Write (equations 3-4): every head erases, then every head adds, all addressed on the memory
/// before the write: M' = M ⊙ prod_h (1 - w_h e_hᵀ) + sum_h w_h a_hᵀ.
/// Read (equation 2): r_h = sum_i w_h(i) M_i.
/// The plain step-by-step reference is in the tests (NtmReference); it shares nothing with this file.
/// </summary>
public static class NtmAddressing
{
    /// <summary>Shifts a head may move its focus by: -1, 0, +1 rows (the order of the shift distribution's entries).</summary>
    public const int ShiftCount = 3;

    /// <summary>Lower bound of |k|·|M_i| in the cosine similarity, so that zero vectors have similarity 0.</summary>
    public const double CosineFloor = 1e-8;

    /// <summary>Lower bound of w_s before sharpening, so that w_s^gamma has a finite gradient in gamma.</summary>
    public const double SharpenFloor = 1e-12;

    /// <summary>
    /// Content weighting: softmax over rows of beta · cos(key, M_i). memory: (B, m, w);
    /// keys: (B, H, w); strength: (B, H), beta >= 0. Returns (B, H, m).
    /// </summary>
    public static Tensor ContentWeights(Tensor memory, Tensor keys, Tensor strength)
    {
        using var scope = NewDisposeScope();
        var dot = keys.matmul(memory.transpose(1, 2));                                 // (B, H, m)
        var norms = keys.norm(-1, keepdim: true) * memory.norm(-1).unsqueeze(1);        // (B, H, 1) * (B, 1, m)
        var cosine = dot / norms.clamp_min(CosineFloor);
        return (strength.unsqueeze(-1) * cosine).softmax(-1).MoveToOuterDisposeScope();
    }

    /// <summary>w_g = g · content + (1 - g) · previous; gate: (B, H) in [0, 1]; weightings (B, H, m).</summary>
    public static Tensor Interpolate(Tensor content, Tensor previous, Tensor gate)
    {
        var g = gate.unsqueeze(-1);
        return g * content + (1 - g) * previous;
    }

    /// <summary>
    /// Circular convolution with a shift distribution over -1, 0, +1: weights (B, H, m), shift
    /// (B, H, 3). Entry 0 moves the focus one row down (w_s(i) gets w(i + 1)), entry 2 one row up
    /// (w_s(i) gets w(i - 1)).
    /// </summary>
    public static Tensor Shift(Tensor weights, Tensor shift)
    {
        using var scope = NewDisposeScope();
        var back = weights.roll(-1, 2);                                                 // back(i) = w(i + 1)
        var forward = weights.roll(1, 2);                                               // forward(i) = w(i - 1)
        var s = shift.unsqueeze(-1);                                                    // (B, H, 3, 1)
        var result = s.select(2, 0) * back + s.select(2, 1) * weights + s.select(2, 2) * forward;
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>w^gamma renormalised over rows; weights (B, H, m), gamma (B, H) >= 1.</summary>
    public static Tensor Sharpen(Tensor weights, Tensor gamma)
    {
        using var scope = NewDisposeScope();
        var powered = weights.clamp_min(SharpenFloor).pow(gamma.unsqueeze(-1));
        return (powered / powered.sum(-1, keepdim: true)).MoveToOuterDisposeScope();
    }

    /// <summary>The four steps in order: content, interpolation with previous (B, H, m), shift, sharpening.</summary>
    public static Tensor Address(Tensor memory, Tensor previous, NtmHeadParameters head)
    {
        using var scope = NewDisposeScope();
        var content = ContentWeights(memory, head.Key, head.Strength);
        var shifted = Shift(Interpolate(content, previous, head.Gate), head.Shift);
        return Sharpen(shifted, head.Sharpening).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Erase then add: M ⊙ prod_h (1 - w_h e_hᵀ) + sum_h w_h a_hᵀ. memory (B, m, w); weights
    /// (B, H, m); erase (B, H, w) in [0, 1]; add (B, H, w). Returns (B, m, w).
    /// </summary>
    public static Tensor Write(Tensor memory, Tensor weights, Tensor erase, Tensor add)
    {
        using var scope = NewDisposeScope();
        var keep = (1 - weights.unsqueeze(-1) * erase.unsqueeze(2)).prod(1);           // (B, m, w)
        var added = weights.transpose(1, 2).matmul(add);                                // (B, m, H) @ (B, H, w)
        return (memory * keep + added).MoveToOuterDisposeScope();
    }

    /// <summary>r_h = sum_i w_h(i) M_i: weights (B, H, m), memory (B, m, w) -> (B, H, w).</summary>
    public static Tensor Read(Tensor memory, Tensor weights) => weights.matmul(memory);
}

/// <summary>
/// What a controller emits for each head, all (B, H, ...): Key (w), Strength beta >= 0, Gate g in
/// [0, 1], Shift a distribution over -1, 0, +1 (3), Sharpening gamma >= 1.
/// </summary>
public sealed record NtmHeadParameters(Tensor Key, Tensor Strength, Tensor Gate, Tensor Shift, Tensor Sharpening);
