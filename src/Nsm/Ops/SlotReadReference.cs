using static TorchSharp.torch;

namespace Nsm.Ops;

/// <summary>
/// Plain reference of the NSM's token-to-slot read (<see cref="SlotAttention"/> over the keys and
/// values of normed slots), one head at a time: S~ = RmsNorm(S)·g, k_j = W_k·S~_j and v_j = W_v·S~_j
/// restricted to the head's channels, logits q·k_j/√hd + log σ(θ_j) over the active slots only.
/// </summary>
internal static class SlotReadReference
{
    /// <summary>
    /// queries: (B, h, n, hd); slots: (B, s, d); normGain: (d); kvWeight: (2d, d), rows 0..d-1
    /// the keys and d..2d-1 the values, head k owning rows k·hd .. (k+1)·hd - 1 of each;
    /// importance θ: (s); active: (s) bool. Returns the output (B, h, n, hd), the log-normaliser
    /// (B, h, n) and the weights over the slots (B, h, n, s).
    /// </summary>
    public static (Tensor Output, Tensor LogSumExp, Tensor Weights) Read(Tensor queries, Tensor slots, Tensor normGain, Tensor kvWeight, Tensor importance, Tensor active)
    {
        var (heads, hd) = (queries.shape[1], queries.shape[3]);
        var d = slots.shape[2];
        var normed = ReferenceMath.RmsNorm(slots, normGain);                                 // (B, s, d)
        var prior = ReferenceMath.Logistic(importance).log();                                // (s)
        var outputs = new List<Tensor>();
        var lses = new List<Tensor>();
        var weights = new List<Tensor>();
        for (long k = 0; k < heads; k++)
        {
            var keys = ReferenceMath.Affine(normed, kvWeight.narrow(0, k * hd, hd));         // (B, s, hd)
            var values = ReferenceMath.Affine(normed, kvWeight.narrow(0, d + k * hd, hd));
            var q = queries.select(1, k);                                                    // (B, n, hd)
            var logits = q.matmul(keys.transpose(1, 2)) / Math.Sqrt(hd) + prior;             // (B, n, s)
            var (w, lse) = ReferenceMath.MaskedSoftmax(logits, active);
            outputs.Add(w.matmul(values));
            lses.Add(lse);
            weights.Add(w);
        }
        return (stack(outputs, 1), stack(lses, 1), stack(weights, 1));
    }
}
