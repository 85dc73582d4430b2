using TorchSharp;
using static TorchSharp.torch;

namespace Nsm.Ops;

/// <summary>
/// Sliding-window attention of chunked queries, computed for all chunks at once.
/// Causal: the queries of chunk g see the w keys before the chunk and the chunk's keys up to
/// themselves. Bidirectional: the w keys before, the whole chunk and the w keys after.
/// Cost O(N·(w + c)·d), memory O(N·(w + c)). Returns the attention output and its
/// log-normaliser so a caller can merge it exactly with another key set (the slots) as one softmax.
/// </summary>
public static class WindowedAttention
{
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
        // The window of chunk g is the tail of the m key chunks before it, the chunk itself and the
        // head of the a chunks after it, in a sequence padded to whole chunks (lead keys in front,
        // trail at the back): m + a + 1 shifted slices of one (B, h, G + m + a, c, hd) tensor laid
        // end to end. Unlike unfold, whose backward scatters into overlapping windows, the
        // gradient of these slices is a few contiguous adds.
        var m = (before + c - 1) / c;
        var a = (after + c - 1) / c;
        var lead = m * c - before;
        var trail = a * c - after;
        var size = before + c + after;                                                              // W keys per window
        var keyWindows = Windows(nn.functional.pad(keys, [0, 0, lead, trail]).view(b, h, groups + m + a, c, hd), groups, 2, lead, trail);   // (B, h, G, W, hd)
        var valueWindows = Windows(nn.functional.pad(values, [0, 0, lead, trail]).view(b, h, groups + m + a, c, hd), groups, 2, lead, trail);
        var validWindows = Windows(nn.functional.pad(keyValid, [lead, trail]).view(b, groups + m + a, c), groups, 1, lead, trail);            // (B, G, W)

        var allowed = validWindows.unsqueeze(2);                                                    // (B, G, 1, W)
        if (causal)
        {
            var keyIndex = arange(size, device: keys.device).unsqueeze(0);                          // (1, W)
            allowed = allowed.logical_and(keyIndex.le(arange(c, device: keys.device).unsqueeze(1) + before)); // (B, G, c, W)
        }
        var bias = zeros(allowed.shape, queries.dtype, queries.device).masked_fill_(allowed.logical_not(), NsmOps.Masked).unsqueeze(1); // (B, 1, G, c|1, W)

        var scaled = queries * (1.0 / Math.Sqrt(hd));
        var logits = scaled.matmul(keyWindows.transpose(-1, -2)) + bias;                            // (B, h, G, c, W')
        var (weights, lse) = NsmOps.SoftmaxFused(logits);
        var output = weights.matmul(valueWindows);                                                  // (B, h, G, c, hd)
        return (output.MoveToOuterDisposeScope(), lse.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// chunks: (..., G + k, c, ...) with the chunk axis at dim -> (..., G, (k+1)·c - lead - trail, ...):
    /// window g is chunks g .. g + k laid end to end, without the first lead rows of chunk g and
    /// the last trail rows of chunk g + k.
    /// </summary>
    private static Tensor Windows(Tensor chunks, long groups, long dim, long lead, long trail)
    {
        var count = chunks.shape[dim] - groups + 1;
        var c = chunks.shape[dim + 1];
        var pieces = new Tensor[count];
        for (long i = 0; i < count; i++)
        {
            var from = i == 0 ? lead : 0;
            var to = i == count - 1 ? c - trail : c;
            var piece = chunks.narrow(dim, i, groups);
            pieces[i] = from == 0 && to == c ? piece : piece.narrow(dim + 1, from, to - from);
        }
        return count == 1 ? pieces[0] : cat(pieces, dim + 1);
    }
}
