using static TorchSharp.torch;

namespace Nsm.Ops;

/// <summary>Small tensor helpers shared by the NSM building blocks.</summary>
internal static class NsmOps
{
    /// <summary>
    /// Added to (or filled into) logits of keys that must get zero weight. Finite on purpose:
    /// with -inf a row whose keys are all masked (padding queries) gives NaN in softmax and
    /// NaN gradients; -1e30 gives exp(...) = 0 for any row that has one real key.
    /// </summary>
    public const float Masked = -1e30f;

    /// <summary>Splits heads: (B, n, h*hd) -> (B, h, n, hd).</summary>
    public static Tensor SplitHeads(Tensor x, long heads)
    {
        var (b, n, d) = (x.shape[0], x.shape[1], x.shape[2]);
        return x.view(b, n, heads, d / heads).transpose(1, 2);
    }

    /// <summary>Merges heads: (B, h, n, hd) -> (B, n, h*hd).</summary>
    public static Tensor MergeHeads(Tensor x)
    {
        var (b, h, n, hd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        return x.transpose(1, 2).reshape(b, n, h * hd);
    }

    /// <summary>
    /// Scales rows whose RMS exceeds 1 back to RMS 1 and leaves the others unchanged:
    /// (..., d) -> (..., d). Applied to the slots after each update, it keeps them bounded over
    /// any number of chunks, and — unlike a normalisation to RMS 1 — it is idempotent and leaves
    /// a slot that was not written exactly as it was. It also lets a freshly written slot
    /// dominate its small learned initial value instead of being normalised against it.
    /// </summary>
    public static Tensor ClipRms(Tensor x, double eps = 1e-6)
    {
        using var scope = NewDisposeScope();
        var rms = x.pow(2).mean([-1], keepdim: true).add(eps).sqrt();
        return (x / rms.clamp_min(1.0)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Softmax weights and log-normaliser of logits over the last dimension: (..., K) -> ((..., K), (...)),
    /// as logsumexp then exp(x - lse): three ops, the cheapest form for the small per-chunk slot reads,
    /// where the number of ops, not their size, sets the cost.
    /// </summary>
    public static (Tensor Weights, Tensor LogSumExp) Softmax(Tensor logits)
    {
        using var scope = NewDisposeScope();
        var lse = logits.logsumexp(-1, keepdim: true);                 // (..., 1)
        var weights = (logits - lse).exp();
        return (weights.MoveToOuterDisposeScope(), lse.squeeze(-1).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The same as <see cref="Softmax"/> for large logits (the local attention of a whole sequence):
    /// one fused softmax, with the log-normaliser read off it at each row's largest logit,
    /// lse = x_j - log w_j (exact for any j; at the largest, w_j >= 1/K, so the log is safe). It
    /// back-propagates exactly (d lse / d x = w) with fewer passes over the (..., K) tensor than
    /// logsumexp followed by exp(x - lse): measured 480 -> 325 ms for the local attention of 16k
    /// tokens (c = 128, w = 64, forward and backward, one thread).
    /// </summary>
    public static (Tensor Weights, Tensor LogSumExp) SoftmaxFused(Tensor logits)
    {
        using var scope = NewDisposeScope();
        var weights = logits.softmax(-1);
        var top = logits.detach().argmax(-1, keepdim: true);                // (..., 1)
        var lse = logits.gather(-1, top) - weights.gather(-1, top).log();   // (..., 1)
        return (weights.MoveToOuterDisposeScope(), lse.squeeze(-1).MoveToOuterDisposeScope());
    }
}
