using static TorchSharp.torch;

namespace Nsm.Ops;

/// <summary>
/// Plain reference of the NSM's slot-to-slot communication, from its equations and one head at a
/// time. Over the active slots only: S~ = RmsNorm(S)·g_a, q, k, v = W_{q,k,v}·S~ per head, each
/// slot attends over the active slots' keys (only its topK largest logits when 0 &lt; topK),
/// S ← S + α⊙W_o·[heads], then with a feed-forward S ← S + β⊙W_2·(silu(W_1·S^) ⊙ W_3·S^),
/// S^ = RmsNorm(S)·g_f. Inactive slots are returned unchanged.
/// </summary>
internal static class CommunicationReference
{
    /// <summary>The optional SwiGLU: norm gain (d), W_1 (f, d), W_3 (f, d), W_2 (d, f), gain β (d).</summary>
    public sealed record FeedForward(Tensor NormGain, Tensor W1, Tensor W3, Tensor W2, Tensor Scale);

    /// <summary>
    /// slots: (B, s, d); attnNormGain: (d); qkvWeight: (3d, d), queries, keys, values in that order;
    /// outWeight: (d, d); attnScale α: (d); ffn: the feed-forward or null; active: (s) bool.
    /// Returns the slots after communication (B, s, d).
    /// </summary>
    public static Tensor Forward(Tensor slots, Tensor attnNormGain, Tensor qkvWeight, Tensor outWeight, Tensor attnScale, FeedForward? ffn,
        Tensor active, long heads, int topK)
    {
        var (s, d) = (slots.shape[1], slots.shape[2]);
        var hd = d / heads;
        var normed = ReferenceMath.RmsNorm(slots, attnNormGain);                              // (B, s, d)
        var perHead = new List<Tensor>();
        for (long k = 0; k < heads; k++)
        {
            var q = ReferenceMath.Affine(normed, qkvWeight.narrow(0, k * hd, hd));            // (B, s, hd)
            var keys = ReferenceMath.Affine(normed, qkvWeight.narrow(0, d + k * hd, hd));
            var values = ReferenceMath.Affine(normed, qkvWeight.narrow(0, 2 * d + k * hd, hd));
            var logits = q.matmul(keys.transpose(1, 2)) / Math.Sqrt(hd);                       // (B, s, s)
            var keep = ReferenceMath.TopK(logits, active.view(1, 1, s), topK);
            perHead.Add(ReferenceMath.MaskedSoftmax(logits, keep).Weights.matmul(values));     // (B, s, hd)
        }
        var changes = active.to(slots.dtype).view(1, s, 1);
        var result = slots + changes * attnScale * ReferenceMath.Affine(cat(perHead, -1), outWeight);
        if (ffn is not null)
        {
            var x = ReferenceMath.RmsNorm(result, ffn.NormGain);
            var a = ReferenceMath.Affine(x, ffn.W1);
            var hidden = a * ReferenceMath.Logistic(a) * ReferenceMath.Affine(x, ffn.W3);
            result = result + changes * ffn.Scale * ReferenceMath.Affine(hidden, ffn.W2);
        }
        return result;
    }
}
