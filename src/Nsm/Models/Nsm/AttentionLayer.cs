using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Modules;
using Nsm.Ops;

namespace Nsm.Models.Nsm;

/// <summary>
/// A token-attention layer of a hybrid NSM stack (<c>model.layer_pattern</c>), pre-norm with a
/// SwiGLU FFN like the NSM layer: x = x + W_o·Attn(Norm(x)), then x = x + FFN(Norm(x)).
/// "T": full attention over every earlier token (bidirectional in non-causal mode); its
/// streaming key/value cache grows with the context. "L": sliding-window attention, the NSM's
/// local read without the slots: a token of chunk g sees the w tokens before the chunk and the
/// chunk's tokens up to itself (the whole chunk and w after in non-causal mode), on the same
/// grid of c tokens; its cache holds at most w + c - 1 tokens, so it streams in constant memory
/// (as Samba's sliding-window layers do).
/// </summary>
public sealed class AttentionLayer : nn.Module
{
    private readonly RmsNorm attn_norm;
    private readonly SelfAttention? attn;
    private readonly Linear? q_proj;
    private readonly LocalAttention? local;
    private readonly Linear? out_proj;
    private readonly RmsNorm ffn_norm;
    private readonly SwiGlu ffn;
    private readonly Dropout dropout;
    private readonly long dim;
    private readonly long numHeads;
    private readonly long chunk;
    private readonly long window;
    private readonly double dropoutRate;

    /// <param name="dim">Model width d.</param>
    /// <param name="numHeads">Attention heads.</param>
    /// <param name="ffnHidden">Hidden width of the SwiGLU FFN.</param>
    /// <param name="full">"T" (full attention) when true, "L" (sliding window) when false.</param>
    /// <param name="causal">Causal (per-token tasks) or bidirectional attention.</param>
    /// <param name="chunk">Chunk length c of the sliding window's grid (the NSM's chunk_size).</param>
    /// <param name="window">Local window w (the NSM's window).</param>
    /// <param name="ropeBase">Base of the rotary positions.</param>
    /// <param name="dropoutRate">Dropout on the residual branches.</param>
    public AttentionLayer(long dim, long numHeads, long ffnHidden, bool full, bool causal, long chunk, long window, double ropeBase, double dropoutRate) : base(nameof(AttentionLayer))
    {
        this.dim = dim;
        this.numHeads = numHeads;
        this.chunk = chunk;
        this.window = window;
        this.dropoutRate = dropoutRate;
        IsFull = full;
        attn_norm = new RmsNorm(dim);
        if (full)
        {
            attn = new SelfAttention(dim, numHeads, causal, ropeBase);
        }
        else
        {
            q_proj = nn.Linear(dim, dim, hasBias: false);
            local = new LocalAttention(dim, numHeads, ropeBase);
            out_proj = nn.Linear(dim, dim, hasBias: false);
        }
        ffn_norm = new RmsNorm(dim);
        ffn = new SwiGlu(dim, ffnHidden);
        dropout = nn.Dropout(dropoutRate);
        RegisterComponents();
    }

    /// <summary>"T" (true) or "L" (false).</summary>
    public bool IsFull { get; }

    /// <summary>The training forward from the initial state, as the model recomputes it (model.recompute); the layer has no side effects to skip on the rerun.</summary>
    internal Tensor Rerunnable(Tensor x, Tensor? valid, bool rerun) => Forward(x, valid, InitialState(x.shape[0])).Output;

    /// <summary>The state before any token: empty key/value caches (B, h, 0, hd).</summary>
    public AttentionLayerState InitialState(long batch)
    {
        var device = ffn_norm.parameters().First().device;
        var headDim = dim / numHeads;
        return new AttentionLayerState(zeros([batch, numHeads, 0, headDim], device: device), zeros([batch, numHeads, 0, headDim], device: device), 0);
    }

    /// <summary>
    /// Causal forward over n >= 1 new tokens after the state. x: (B, n, d); valid: (B, n) or null
    /// (padding only ever follows real tokens, so causal rows never see it). Returns (B, n, d) and the new state.
    /// </summary>
    public (Tensor Output, AttentionLayerState State) Forward(Tensor x, Tensor? valid, AttentionLayerState state)
    {
        using var scope = NewDisposeScope();
        var h = attn_norm.forward(x);
        Tensor read, keys, values;
        var position = state.Position + x.shape[1];
        if (attn is not null)
        {
            (read, keys, values) = attn.Forward(h, state.Keys, state.Values, state.Position);
        }
        else
        {
            var grid = new ChunkGrid(state.Position % chunk, x.shape[1], chunk);
            var q = NsmOps.SplitHeads(q_proj!.forward(h), numHeads);                          // (B, h, n, hd)
            var result = local!.Causal(h, q, valid, state.Keys, state.Values, state.Position, grid, window);
            read = out_proj!.forward(NsmOps.MergeHeads(grid.CallRows(result.Output)));
            (keys, values) = LocalAttention.Cache(result.Keys, result.Values, position, position % chunk, window);
        }
        var output = Blocks(x, read);
        var next = new AttentionLayerState(keys.MoveToOuterDisposeScope(), values.MoveToOuterDisposeScope(), position);
        return (output.MoveToOuterDisposeScope(), next);
    }

    /// <summary>Non-causal forward over a whole sequence: x (B, N, d), valid (B, N) or null -> (B, N, d).</summary>
    public Tensor Encode(Tensor x, Tensor? valid)
    {
        using var scope = NewDisposeScope();
        var h = attn_norm.forward(x);
        Tensor read;
        if (attn is not null)
        {
            read = attn.forward(h, valid);
        }
        else
        {
            var q = NsmOps.SplitHeads(q_proj!.forward(h), numHeads);
            var (output, _) = local!.Bidirectional(h, q, valid, chunk, window);
            read = out_proj!.forward(NsmOps.MergeHeads(output));
        }
        return Blocks(x, read).MoveToOuterDisposeScope();
    }

    private Tensor Blocks(Tensor x, Tensor read)
    {
        var output = x + Dropout(read);
        return output + Dropout(ffn.forward(ffn_norm.forward(output)));
    }

    private Tensor Dropout(Tensor x) => dropoutRate > 0 && training ? dropout.forward(x) : x;
}
