using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nsm.Layers.Nsm;

/// <summary>
/// Sliding-window token attention with rotary positions, computed for all chunks at once.
/// Causal: the queries of chunk g see the w tokens before the chunk and the chunk's tokens up
/// to themselves (keys = current chunk + previous w tokens). Bidirectional: the w tokens
/// before, the whole chunk and the w tokens after. Cost O(N·(w + c)·d), memory O(N·(w + c)).
/// Returns the attention output and its log-normaliser so a caller can merge it exactly
/// with another key set (the slots) as one softmax.
/// </summary>
public sealed class LocalAttention : nn.Module
{
    private readonly Linear kv_proj;
    private readonly RotaryEmbedding rotary;
    private readonly long numHeads;
    private readonly long headDim;

    public LocalAttention(long dim, long numHeads, double ropeBase) : base(nameof(LocalAttention))
    {
        this.numHeads = numHeads;
        headDim = dim / numHeads;
        rotary = new RotaryEmbedding(headDim, ropeBase);
        kv_proj = nn.Linear(dim, 2 * dim, hasBias: false);
        RegisterComponents();
    }

    /// <summary>Rotary embedding shared with the queries of the layer.</summary>
    public RotaryEmbedding Rotary => rotary;

    /// <summary>Keys and values of normed tokens h: (B, n, d) at positions offset.. -> two (B, heads, n, hd), keys rotated.</summary>
    public (Tensor Keys, Tensor Values) Project(Tensor h, long offset)
    {
        using var scope = NewDisposeScope();
        var (b, n) = (h.shape[0], h.shape[1]);
        var kv = kv_proj.forward(h).view(b, n, 2, numHeads, headDim).permute(2, 0, 3, 1, 4); // (2, B, h, n, hd)
        var keys = rotary.Apply(kv[0], offset);
        return (keys.MoveToOuterDisposeScope(), kv[1].contiguous().MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Attention of chunked queries over windows of a key sequence.
    /// queries: (B, h, G, c, hd), group g holding the c query slots of chunk g.
    /// keys, values: (B, h, T, hd) with T = before + G·c + after: key index before + g·c + j is
    /// query (g, j)'s own position. keyValid: (B, T) bool, false for padding and filler keys.
    /// causal: query (g, j) sees keys before + g·c - before .. before + g·c + j (after must be 0);
    /// otherwise it sees keys g·c .. g·c + before + c + after - 1.
    /// Returns outputs (B, h, G, c, hd) and log-normalisers (B, h, G, c).
    /// </summary>
    public static (Tensor Output, Tensor LogSumExp) Attend(Tensor queries, Tensor keys, Tensor values, Tensor keyValid, long before, long after, bool causal)
    {
        using var scope = NewDisposeScope();
        var c = queries.shape[3];
        var size = before + c + after;
        var keyWindows = keys.unfold(2, size, c).transpose(-1, -2);     // (B, h, G, W, hd)
        var valueWindows = values.unfold(2, size, c).transpose(-1, -2); // (B, h, G, W, hd)
        var allowed = keyValid.unfold(1, size, c).unsqueeze(2);         // (B, G, 1, W)
        if (causal)
        {
            var queryIndex = arange(c, device: keys.device).unsqueeze(1);   // (c, 1)
            var keyIndex = arange(size, device: keys.device).unsqueeze(0);  // (1, W)
            allowed = allowed.logical_and(keyIndex.le(queryIndex + before)); // (B, G, c, W)
        }
        var scale = 1.0 / Math.Sqrt(queries.shape[^1]);
        var logits = queries.matmul(keyWindows.transpose(-1, -2)) * scale;  // (B, h, G, c, W)
        logits = logits.masked_fill(allowed.unsqueeze(1).logical_not(), NsmOps.Masked);
        var (weights, lse) = NsmOps.Softmax(logits);
        var output = weights.matmul(valueWindows);                            // (B, h, G, c, hd)
        return (output.MoveToOuterDisposeScope(), lse.MoveToOuterDisposeScope());
    }
}
