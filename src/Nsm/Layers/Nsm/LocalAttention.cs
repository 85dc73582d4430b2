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
        var (b, h, groups, c, hd) = (queries.shape[0], queries.shape[1], queries.shape[2], queries.shape[3], queries.shape[4]);
        // Whole chunks of keys before and after each query chunk: the window of chunk g is key
        // chunks g .. g + m + a of the sequence padded by lead keys in front (and trail at the back),
        // gathered as m + a + 1 shifted views of one (B, h, G + m + a, c, hd) tensor. Unlike
        // unfold, whose backward scatters into overlapping windows, the gradient of these
        // shifted slices is a few contiguous adds.
        var m = (before + c - 1) / c;
        var a = (after + c - 1) / c;
        var lead = m * c - before;
        var trail = a * c - after;
        var span = (m + 1 + a) * c;                                                                 // W' keys per window
        var keyWindows = Windows(nn.functional.pad(keys, [0, 0, lead, trail]).view(b, h, groups + m + a, c, hd), groups, 2);   // (B, h, G, W', hd)
        var valueWindows = Windows(nn.functional.pad(values, [0, 0, lead, trail]).view(b, h, groups + m + a, c, hd), groups, 2);
        var validWindows = Windows(nn.functional.pad(keyValid, [lead, trail]).view(b, groups + m + a, c), groups, 1);            // (B, G, W')

        // Window key i' is key i = i' - lead of the plain window [before | chunk | after].
        var keyIndex = arange(span, device: keys.device).unsqueeze(0) - lead;                      // (1, W')
        var allowed = keyIndex.ge(0).logical_and(keyIndex.lt(before + c + after));                  // (1, W')
        if (causal)
            allowed = allowed.logical_and(keyIndex.le(arange(c, device: keys.device).unsqueeze(1) + before)); // (c, W')
        allowed = allowed.unsqueeze(0).unsqueeze(0).logical_and(validWindows.unsqueeze(2));        // (B, G, c or 1, W')
        var bias = zeros(allowed.shape, queries.dtype, queries.device).masked_fill_(allowed.logical_not(), NsmOps.Masked).unsqueeze(1); // (B, 1, G, c|1, W')

        var scaled = queries * (1.0 / Math.Sqrt(hd));
        var logits = scaled.matmul(keyWindows.transpose(-1, -2)) + bias;                            // (B, h, G, c, W')
        var (weights, lse) = NsmOps.Softmax(logits);
        var output = weights.matmul(valueWindows);                                                  // (B, h, G, c, hd)
        return (output.MoveToOuterDisposeScope(), lse.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// chunks: (..., G + k, c, ...) with the chunk axis at dim -> (..., G, (k+1)·c, ...): window g is
    /// chunks g .. g + k laid end to end.
    /// </summary>
    private static Tensor Windows(Tensor chunks, long groups, long dim)
    {
        var count = chunks.shape[dim] - groups + 1;
        if (count == 1) return chunks;
        var pieces = new Tensor[count];
        for (long i = 0; i < count; i++) pieces[i] = chunks.narrow(dim, i, groups);
        return cat(pieces, dim + 1);
    }
}
