using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Modules;
using Nsm.Ops;

namespace Nsm.Models.Nsm;

/// <summary>
/// The local token read of a layer: keys and values of the tokens with rotary positions, for the
/// sliding-window attention (<see cref="WindowedAttention"/>). Causal: the queries of chunk g see
/// the w tokens before the chunk and the chunk's tokens up to themselves. Bidirectional: the w
/// tokens before, the whole chunk and the w tokens after.
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
}
