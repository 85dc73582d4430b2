using static TorchSharp.torch;

namespace Nsm.Ops;

/// <summary>
/// Plain reference of <see cref="WindowedAttention"/> on a flat sequence: dense attention of every
/// query over every key, with the visible keys of each query listed one by one. Token t lies in
/// chunk ⌊t/c⌋ starting at c0 = t - t mod c. Causal: t sees keys max(0, c0 - w) .. t.
/// Bidirectional: keys max(0, c0 - w) .. min(N, c0 + c + w) - 1. Invalid keys are never seen.
/// O(N²) time and memory; for tests.
/// </summary>
internal static class WindowedAttentionReference
{
    /// <summary>
    /// queries, keys, values: (B, h, N, hd), query t at the same position as key t; keyValid:
    /// (B, N) bool or null. A query that sees no valid key (a padding query whose whole window is
    /// padding) reads nothing: output 0 and log-normaliser -inf, so a joint softmax with other
    /// keys gives it no weight. Returns outputs (B, h, N, hd) and log-normalisers (B, h, N).
    /// </summary>
    public static (Tensor Output, Tensor LogSumExp) Attend(Tensor queries, Tensor keys, Tensor values, Tensor? keyValid, long chunk, long window, bool causal)
    {
        var (b, n, hd) = (queries.shape[0], queries.shape[2], queries.shape[3]);
        var visible = new bool[n * n];
        for (long t = 0; t < n; t++)
        {
            var chunkStart = t - t % chunk;
            var first = Math.Max(0, chunkStart - window);
            var last = causal ? t : Math.Min(n, chunkStart + chunk + window) - 1;
            for (var u = first; u <= last; u++) visible[t * n + u] = true;
        }
        var keep = tensor(visible, device: queries.device).view(1, 1, n, n);                // (1, 1, N, N)
        if (keyValid is not null) keep = keep.logical_and(keyValid.view(b, 1, 1, n));        // (B, 1, N, N)
        var logits = queries.matmul(keys.transpose(-1, -2)) / Math.Sqrt(hd);                 // (B, h, N, N)
        var blind = keep.any(-1, keepdim: true).logical_not();                               // (B|1, 1, N, 1): sees no valid key
        // Such rows keep every key for a finite softmax (no NaN in the backward), then read nothing.
        var (weights, lse) = ReferenceMath.MaskedSoftmax(logits, keep.logical_or(blind));
        var output = where(blind, zeros_like(queries), weights.matmul(values));
        return (output, where(blind.squeeze(-1), full_like(lse, double.NegativeInfinity), lse));
    }
}
