using static TorchSharp.torch;
namespace Nsm.Models.Nsm;

/// <summary>
/// Where the n new tokens of a causal call fall on the chunk grid of length c, which is fixed by
/// absolute position: after the p tokens already in the open chunk, they fill G chunk groups of
/// c rows. Group 0 holds new tokens from row p on, the last group may stop before row c (the
/// tail rows stay empty), and a group that reaches row c completes its chunk. A non-causal
/// sequence is the grid with p = 0.
/// </summary>
/// <param name="Partial">p: tokens of the open chunk before the call, 0 .. c-1.</param>
/// <param name="Count">n: new tokens in the call.</param>
/// <param name="Chunk">c: chunk length.</param>
internal readonly record struct ChunkGrid(long Partial, long Count, long Chunk)
{
    /// <summary>G: chunk groups the call touches.</summary>
    public long Groups => (Partial + Count + Chunk - 1) / Chunk;

    /// <summary>Empty rows after the last new token, at the end of the last group.</summary>
    public long Tail => Groups * Chunk - Partial - Count;

    /// <summary>First row of group g that holds a new token.</summary>
    public long First(long g) => g == 0 ? Partial : 0;

    /// <summary>One past the last row of group g that holds a token; c when the group completes its chunk.</summary>
    public long End(long g) => Math.Min(Chunk, Partial + Count - g * Chunk);

    /// <summary>Index, among the new tokens, of the first new token of group g.</summary>
    public long Start(long g) => g * Chunk + First(g) - Partial;

    /// <summary>New tokens of each group: (c - p), c, ..., rest.</summary>
    public long[] Counts()
    {
        var counts = new long[Groups];
        for (long g = 0; g < Groups; g++)
            counts[g] = End(g) - First(g);
        return counts;
    }

    /// <summary>The rows of the call's tokens from a per-group tensor (B, h, G, c, e) -> (B, h, n, e).</summary>
    public Tensor CallRows(Tensor perGroup)
    {
        var (b, heads, e) = (perGroup.shape[0], perGroup.shape[1], perGroup.shape[4]);
        var all = perGroup.reshape(b, heads, Groups * Chunk, e);
        return Partial == 0 && Tail == 0 ? all : all.narrow(2, Partial, Count);
    }
}
