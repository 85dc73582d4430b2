using static TorchSharp.torch;

namespace Nsm.Ops;

/// <summary>
/// Attention of token queries over a small set of keys without positions (the slots), with an
/// additive per-key logit bias. Cost O(n·s·d). Returns the log-normaliser beside the output so
/// that a caller can merge it exactly with another key set as one softmax, and the weights for
/// per-key usage statistics.
/// </summary>
public static class SlotAttention
{
    /// <summary>
    /// queries: (..., n, hd); keys, values: (..., s, hd) with the same leading dimensions, e.g. (B, h); bias: (s) additive logit bias
    /// (importance and active mask). Returns the output (..., n, hd), the log-normaliser
    /// (..., n) and the attention weights over the slots (..., n, s).
    /// </summary>
    public static (Tensor Output, Tensor LogSumExp, Tensor Weights) Attend(Tensor queries, Tensor keys, Tensor values, Tensor bias)
    {
        using var scope = NewDisposeScope();
        var scale = 1.0 / Math.Sqrt(queries.shape[^1]);
        var logits = queries.matmul(keys.transpose(-1, -2)) * scale + bias;   // (B, h, n, s)
        var (weights, lse) = NsmOps.Softmax(logits);
        var output = weights.matmul(values);                                    // (B, h, n, hd)
        return (output.MoveToOuterDisposeScope(), lse.MoveToOuterDisposeScope(), weights.MoveToOuterDisposeScope());
    }
}
