using static TorchSharp.torch;

namespace Nsm.Ops;

/// <summary>
/// Plain references of the NSM's two writes, from their equations and one routing head at a
/// time; head k writes channels k·dh .. (k+1)·dh - 1 of every slot (dh = d / heads), and its
/// write mass covers those channels. Slot j's importance θ_j enters as log σ(θ_j) on its logits
/// and as σ(θ_j) on its mass; inactive slots take no part (zero probability, zero mass).
/// </summary>
internal static class RoutingReference
{
    private const double Eps = 1e-6;

    /// <summary>
    /// "token" routing. For head k and row t: R_tj = (W_r·y_t)_{k·s+j} + log σ(θ_j) over the active
    /// slots (only the topK largest when 0 &lt; topK &lt; s), p_t = softmax(R_t / τ) with an optional
    /// null slot of logit ν_k in the same softmax, cut at the floor φ: p'_tj = max(p_tj - φ, 0) / (1 - φ)
    /// (p' = p for φ = 0); r_tj = σ(θ_j)·p'_tj, 0 for padding rows.
    /// U_j = Σ_t r_tj·V_t / (Σ_t r_tj + eps) with V_t = W_v·y_t, and m_j = Σ_t r_tj.
    /// rows: (B, n, d); valid: (B, n) bool or null; routeWeight: (heads·s, d); valueWeight: (d, d);
    /// nullLogit: (heads) or null; importance: (s); active: (s) bool.
    /// Returns the candidate (B, s, d) and the per-channel mass (B, s, d).
    /// </summary>
    public static (Tensor Candidate, Tensor Mass) TokenWrite(Tensor rows, Tensor? valid, Tensor routeWeight, Tensor valueWeight, Tensor? nullLogit,
        Tensor importance, Tensor active, long heads, double temperature, int topK, double floor = 0)
    {
        var (b, n, d) = (rows.shape[0], rows.shape[1], rows.shape[2]);
        var s = importance.shape[0];
        var dh = d / heads;
        var prior = ReferenceMath.Logistic(importance).log();                                // (s)
        var scale = ReferenceMath.Logistic(importance) * active.to(rows.dtype);             // (s)
        var rowWeight = valid is null ? ones([b, n, 1], rows.dtype, rows.device) : valid.to(rows.dtype).unsqueeze(-1); // (B, n, 1)
        var candidates = new List<Tensor>();
        var masses = new List<Tensor>();
        for (long k = 0; k < heads; k++)
        {
            var logits = ReferenceMath.Affine(rows, routeWeight.narrow(0, k * s, s)) + prior; // (B, n, s)
            var keep = ReferenceMath.TopK(logits, active.view(1, 1, s), topK);                 // (B, n, s)
            if (nullLogit is not null)
            {
                logits = cat([logits, nullLogit[k].expand(b, n, 1)], -1);                      // (B, n, s + 1)
                keep = cat([keep, ones([b, n, 1], ScalarType.Bool, rows.device)], -1);
            }
            var p = ReferenceMath.MaskedSoftmax(logits / temperature, keep).Weights.narrow(-1, 0, s);
            if (floor > 0) p = where(p > floor, (p - floor) / (1 - floor), zeros_like(p));
            var r = p * scale * rowWeight;                                                    // (B, n, s)
            var values = ReferenceMath.Affine(rows, valueWeight.narrow(0, k * dh, dh));       // (B, n, dh)
            var mass = r.sum(1);                                                              // (B, s)
            candidates.Add(r.transpose(1, 2).matmul(values) / (mass.unsqueeze(-1) + Eps));  // (B, s, dh)
            masses.Add(mass.unsqueeze(-1).expand(b, s, dh));
        }
        return (cat(candidates, -1), cat(masses, -1));
    }

    /// <summary>
    /// "slot" routing (Perceiver-style). For head k and slot j: the query q_j = W_q·(RmsNorm(S_j)·g)
    /// attends over the valid rows' keys k_t = W_k·y_t (plus an optional null key of logit ν_k):
    /// a_jt = softmax_t(q_j·k_t/√dh + log σ(θ_j)). U_j = Σ_t a_jt·v_t / (Σ_t a_jt + eps) with
    /// v_t = W_v·y_t, and m_j = σ(θ_j)·n_valid·Σ_t a_jt.
    /// rows: (B, n, d); valid: (B, n) bool or null (each sample needs a valid row); slots: (B, s, d);
    /// normGain: (d); queryWeight: (d, d); kvWeight: (2d, d), keys then values; nullLogit: (heads)
    /// or null; importance: (s); active: (s) bool. Returns the candidate (B, s, d) and the
    /// per-channel mass (B, s, d); the candidate of an inactive slot is 0.
    /// </summary>
    public static (Tensor Candidate, Tensor Mass) SlotWrite(Tensor rows, Tensor? valid, Tensor slots, Tensor normGain, Tensor queryWeight, Tensor kvWeight,
        Tensor? nullLogit, Tensor importance, Tensor active, long heads)
    {
        var (b, n, d) = (rows.shape[0], rows.shape[1], rows.shape[2]);
        var s = slots.shape[1];
        var dh = d / heads;
        var normed = ReferenceMath.RmsNorm(slots, normGain);                                 // (B, s, d)
        var prior = ReferenceMath.Logistic(importance).log().view(1, s, 1);                  // (1, s, 1)
        var scale = (ReferenceMath.Logistic(importance) * active.to(rows.dtype)).view(1, s); // (1, s)
        var rowValid = valid ?? ones([b, n], ScalarType.Bool, rows.device);
        var count = rowValid.to(rows.dtype).sum(1, keepdim: true);                            // (B, 1)
        var candidates = new List<Tensor>();
        var masses = new List<Tensor>();
        for (long k = 0; k < heads; k++)
        {
            var q = ReferenceMath.Affine(normed, queryWeight.narrow(0, k * dh, dh));          // (B, s, dh)
            var keys = ReferenceMath.Affine(rows, kvWeight.narrow(0, k * dh, dh));            // (B, n, dh)
            var values = ReferenceMath.Affine(rows, kvWeight.narrow(0, d + k * dh, dh));
            var logits = q.matmul(keys.transpose(1, 2)) / Math.Sqrt(dh) + prior;             // (B, s, n)
            var keep = rowValid.view(b, 1, n).expand(b, s, n);
            if (nullLogit is not null)
            {
                logits = cat([logits, (nullLogit[k] + zeros([b, s, 1], rows.dtype, rows.device))], -1); // (B, s, n + 1)
                keep = cat([keep, ones([b, s, 1], ScalarType.Bool, rows.device)], -1);
            }
            var a = ReferenceMath.MaskedSoftmax(logits, keep).Weights.narrow(-1, 0, n);      // (B, s, n)
            var taken = a.sum(-1);                                                            // (B, s)
            var candidate = a.matmul(values) / (taken.unsqueeze(-1) + Eps);                   // (B, s, dh)
            candidates.Add(candidate * active.to(rows.dtype).view(1, s, 1));
            masses.Add((taken * scale * count).unsqueeze(-1).expand(b, s, dh));
        }
        return (cat(candidates, -1), cat(masses, -1));
    }
}
