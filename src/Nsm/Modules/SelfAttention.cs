using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Core;

namespace Nsm.Modules;

/// <summary>
/// Multi-head self-attention with rotary positions over the whole sequence (O(N^2)),
/// causal or bidirectional, with an optional key/value cache for streaming.
/// </summary>
public sealed class SelfAttention : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly Linear qkv_proj;
    private readonly Linear out_proj;
    private readonly RotaryEmbedding rotary;
    private readonly long numHeads;
    private readonly long headDim;
    private readonly bool causal;

    public SelfAttention(long dim, long numHeads, bool causal, double ropeBase = 10000) : base(nameof(SelfAttention))
    {
        if (dim % numHeads != 0) throw new ConfigException($"'model.d_model' ({dim}) must be divisible by 'model.num_heads' ({numHeads})");
        this.numHeads = numHeads;
        headDim = dim / numHeads;
        this.causal = causal;
        rotary = new RotaryEmbedding(headDim, ropeBase);
        qkv_proj = nn.Linear(dim, 3 * dim, hasBias: false);
        out_proj = nn.Linear(dim, dim, hasBias: false);
        RegisterComponents();
    }

    /// <summary>
    /// While set, each <see cref="forward"/> also appends its attention weights (B, h, N, N), rows
    /// the queries, computed explicitly from the same queries and keys as the fused attention
    /// (for inspection; the output is unchanged).
    /// </summary>
    public List<Tensor>? RecordedWeights { get; set; }

    /// <summary>x: (B, N, d); paddingMask: (B, N) bool (true = real) or null. Returns (B, N, d).</summary>
    public override Tensor forward(Tensor x, Tensor? paddingMask)
    {
        using var scope = NewDisposeScope();
        var (q, k, v) = Project(x, 0);
        if (RecordedWeights is not null) RecordedWeights.Add(Weights(q, k, paddingMask).DetachFromDisposeScope());
        Tensor attended;
        if (paddingMask is null || causal)
        {
            // Right padding cannot reach real positions under a causal mask, so causal runs
            // ignore the padding mask (padded positions' outputs are never used).
            attended = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: causal);
        }
        else
        {
            var keyMask = paddingMask.unsqueeze(1).unsqueeze(1);  // (B, 1, 1, N)
            attended = nn.functional.scaled_dot_product_attention(q, k, v, keyMask);
        }
        return Merge(attended).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Streaming step. x: (B, n, d) at positions offset .. offset+n-1; pastKeys/pastValues:
    /// (B, h, T, hd) for the T tokens before (T may be 0). Returns the output (B, n, d) and the
    /// keys/values of all T+n tokens.
    /// </summary>
    public (Tensor Output, Tensor Keys, Tensor Values) Forward(Tensor x, Tensor pastKeys, Tensor pastValues, long offset)
    {
        if (!causal) throw new InvalidOperationException("streaming needs a causal attention layer");
        using var scope = NewDisposeScope();
        var (q, k, v) = Project(x, offset);
        var keys = cat([pastKeys, k], 2);
        var values = cat([pastValues, v], 2);
        var n = x.shape[1];
        var total = keys.shape[2];
        Tensor attended = n == 1
            ? nn.functional.scaled_dot_product_attention(q, keys, values)
            : nn.functional.scaled_dot_product_attention(q, keys, values, CausalMask(n, total, x.device));
        return (Merge(attended).MoveToOuterDisposeScope(), keys.MoveToOuterDisposeScope(), values.MoveToOuterDisposeScope());
    }

    /// <summary>Empty key/value cache for a batch: two (B, h, 0, hd) tensors.</summary>
    public (Tensor Keys, Tensor Values) EmptyCache(long batch, Device device) =>
        (zeros([batch, numHeads, 0, headDim], device: device), zeros([batch, numHeads, 0, headDim], device: device));

    /// <summary>(n, total) bool: query i (absolute position total-n+i) may see keys 0 .. total-n+i.</summary>
    public static Tensor CausalMask(long n, long total, Device device)
    {
        using var scope = NewDisposeScope();
        var queryPositions = arange(total - n, total, device: device).unsqueeze(1);  // (n, 1)
        var keyPositions = arange(0, total, device: device).unsqueeze(0);             // (1, total)
        return keyPositions.le(queryPositions).MoveToOuterDisposeScope();
    }

    /// <summary>softmax(q·kᵀ/√hd) with the causal or key-padding mask: (B, h, N, N).</summary>
    private Tensor Weights(Tensor q, Tensor k, Tensor? paddingMask)
    {
        using var noGrad = no_grad();
        var n = q.shape[2];
        var logits = q.matmul(k.transpose(-1, -2)) / Math.Sqrt(headDim);                // (B, h, N, N)
        if (causal) logits = logits.masked_fill(CausalMask(n, n, q.device).logical_not(), double.NegativeInfinity);
        else if (paddingMask is not null) logits = logits.masked_fill(paddingMask.logical_not().view(q.shape[0], 1, 1, n), double.NegativeInfinity);
        return logits.softmax(-1);
    }

    private (Tensor Q, Tensor K, Tensor V) Project(Tensor x, long offset)
    {
        var (b, n) = (x.shape[0], x.shape[1]);
        var qkv = qkv_proj.forward(x).view(b, n, 3, numHeads, headDim).permute(2, 0, 3, 1, 4); // (3, B, h, n, hd)
        var q = rotary.Apply(qkv[0], offset);
        var k = rotary.Apply(qkv[1], offset);
        return (q, k, qkv[2]);
    }

    private Tensor Merge(Tensor attended)
    {
        var (b, n) = (attended.shape[0], attended.shape[2]);
        return out_proj.forward(attended.transpose(1, 2).reshape(b, n, numHeads * headDim)); // (B, N, d)
    }
}
