using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Modules;
using Nsm.Ops;

namespace Nsm.Models.Nsm;

/// <summary>
/// The local token read of a layer: keys and values of the tokens with rotary positions, padded
/// with the queries onto the chunk grid for the sliding-window attention
/// (<see cref="WindowedAttention"/>), and the key cache a stream carries between calls. Causal:
/// the queries of chunk g see the w tokens before the chunk and the chunk's tokens up to
/// themselves. Bidirectional: the w tokens before, the whole chunk and the w tokens after.
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
    /// Causal local attention of the n new tokens of a call, all chunk groups at once.
    /// h: (B, n, d) normed new tokens at positions position..; q: (B, h, n, hd) their queries
    /// without positions; valid: (B, n) bool or null; cachedKeys, cachedValues: (B, h, T, hd) the
    /// rotated keys and values of positions max(0, c0 - w) .. position - 1 (c0: start of the open
    /// chunk). Returns per chunk group outputs (B, h, G, c, hd) and log-normalisers (B, h, G, c),
    /// and the keys and values (B, h, T + n, hd) the next cache is cut from.
    /// </summary>
    internal (Tensor Output, Tensor LogSumExp, Tensor Keys, Tensor Values) Causal(Tensor h, Tensor q, Tensor? valid, Tensor cachedKeys, Tensor cachedValues, long position, ChunkGrid grid, long window)
    {
        using var scope = NewDisposeScope();
        var (b, n) = (h.shape[0], h.shape[1]);
        var (k, v) = Project(h, position);
        var keysAll = cat([cachedKeys, k], 2);                                          // (B, h, T + n, hd): positions max(0, c0 - w) ..
        var valuesAll = cat([cachedValues, v], 2);
        var cached = cachedKeys.shape[2];
        var lead = window - Math.Min(window, position - grid.Partial);                 // filler keys before position 0
        var keys = nn.functional.pad(keysAll, [0, 0, lead, grid.Tail]);                // (B, h, w + G·c, hd)
        var values = nn.functional.pad(valuesAll, [0, 0, lead, grid.Tail]);
        var keyValid = cat([
            zeros([b, lead], ScalarType.Bool, h.device),
            ones([b, cached], ScalarType.Bool, h.device),
            valid ?? ones([b, n], ScalarType.Bool, h.device),
            zeros([b, grid.Tail], ScalarType.Bool, h.device)], 1);                      // (B, w + G·c)
        var rotated = rotary.Apply(q, position);
        var queries = nn.functional.pad(rotated, [0, 0, grid.Partial, grid.Tail]).view(b, numHeads, grid.Groups, grid.Chunk, headDim); // (B, h, G, c, hd)
        var (output, lse) = WindowedAttention.Attend(queries, keys, values, keyValid, window, 0, causal: true);
        return (output.MoveToOuterDisposeScope(), lse.MoveToOuterDisposeScope(), keysAll.MoveToOuterDisposeScope(), valuesAll.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The cache a later token can still see, cut from keys and values (B, h, T, hd) that end at
    /// position (exclusive) with open tokens in the open chunk: the keys from w before the open
    /// chunk on, as fresh tensors (B, h, min(w, c0) + open, hd).
    /// </summary>
    internal static (Tensor Keys, Tensor Values) Cache(Tensor keys, Tensor values, long position, long open, long window)
    {
        var keep = Math.Min(window, position - open) + open;
        return (keys.narrow(2, keys.shape[2] - keep, keep).clone(), values.narrow(2, values.shape[2] - keep, keep).clone());
    }

    /// <summary>
    /// Bidirectional local attention over a whole sequence. h: (B, N, d) normed tokens at
    /// positions 0..; q: (B, h, N, hd) their queries without positions; valid: (B, N) bool or null.
    /// The chunks lie on the grid of c from position 0. Returns outputs (B, h, N, hd) and
    /// log-normalisers (B, h, N).
    /// </summary>
    internal (Tensor Output, Tensor LogSumExp) Bidirectional(Tensor h, Tensor q, Tensor? valid, long chunk, long window)
    {
        using var scope = NewDisposeScope();
        var (b, n) = (h.shape[0], h.shape[1]);
        var grid = new ChunkGrid(0, n, chunk);
        var (groups, tail) = (grid.Groups, grid.Tail);
        var (k, v) = Project(h, 0);
        var keys = nn.functional.pad(k, [0, 0, window, tail + window]);                 // (B, h, w + G·c + w, hd)
        var values = nn.functional.pad(v, [0, 0, window, tail + window]);
        var keyValid = cat([
            zeros([b, window], ScalarType.Bool, h.device),
            valid ?? ones([b, n], ScalarType.Bool, h.device),
            zeros([b, tail + window], ScalarType.Bool, h.device)], 1);
        var queries = nn.functional.pad(rotary.Apply(q, 0), [0, 0, 0, tail]).view(b, numHeads, groups, chunk, headDim);
        var (o, lse) = WindowedAttention.Attend(queries, keys, values, keyValid, window, window, causal: false);
        var output = o.view(b, numHeads, groups * chunk, headDim).narrow(2, 0, n);      // (B, h, N, hd)
        var logSumExp = lse.view(b, numHeads, groups * chunk).narrow(2, 0, n);          // (B, h, N)
        return (output.MoveToOuterDisposeScope(), logSumExp.MoveToOuterDisposeScope());
    }
}
