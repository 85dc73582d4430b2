using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Modules;
using Nsm.Ops;

namespace Nsm.Models.Nsm;

/// <summary>
/// Token-to-state read: token queries attend over the slots' keys and values, projected from
/// Norm(S); the attention itself is <see cref="SlotAttention"/>. Slots carry no positions. Each
/// slot's importance enters as an additive bias log sigmoid(theta_j) on its logits, and inactive
/// slots are masked out (both come from <see cref="SlotContext.LogitBias"/>). Cost O(n·s·d) per call.
/// </summary>
public sealed class StateRead : nn.Module
{
    private readonly RmsNorm slot_norm;
    private readonly Linear kv_proj;
    private readonly long numHeads;
    private readonly long headDim;

    public StateRead(long dim, long numHeads) : base(nameof(StateRead))
    {
        this.numHeads = numHeads;
        headDim = dim / numHeads;
        slot_norm = new RmsNorm(dim);
        kv_proj = nn.Linear(dim, 2 * dim, hasBias: false);
        RegisterComponents();
    }

    /// <summary>Slot keys and values: slots (B, s, d) -> two (B, heads, s, hd).</summary>
    public (Tensor Keys, Tensor Values) KeysValues(Tensor slots)
    {
        using var scope = NewDisposeScope();
        var (b, s) = (slots.shape[0], slots.shape[1]);
        var kv = kv_proj.forward(slot_norm.forward(slots)).view(b, s, 2, numHeads, headDim).permute(2, 0, 3, 1, 4); // (2, B, h, s, hd)
        return (kv[0].MoveToOuterDisposeScope(), kv[1].MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The read of G slot states at once, each by its own group of c queries (the parallel form):
    /// queries (B, h, G, c, hd), slots (B, G, s, d), bias (s). Returns the output (B, h, G, c, hd),
    /// the log-normaliser (B, h, G, c) and the weights over the slots (B, h, G, c, s).
    /// </summary>
    public (Tensor Output, Tensor LogSumExp, Tensor Weights) ReadGroups(Tensor queries, Tensor slots, Tensor bias)
    {
        using var scope = NewDisposeScope();
        var (b, g, s) = (slots.shape[0], slots.shape[1], slots.shape[2]);
        var (keys, values) = KeysValues(slots.reshape(b * g, s, slots.shape[3]));                 // (B·G, h, s, hd)
        keys = keys.view(b, g, numHeads, s, headDim).transpose(1, 2);                             // (B, h, G, s, hd)
        values = values.view(b, g, numHeads, s, headDim).transpose(1, 2);
        var (output, lse, weights) = SlotAttention.Attend(queries, keys, values, bias);
        return (output.MoveToOuterDisposeScope(), lse.MoveToOuterDisposeScope(), weights.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The read of the slots (B, s, d) by queries (B, h, n, hd); bias: (s) additive logit bias.
    /// Returns the output (B, h, n, hd), the log-normaliser (B, h, n) and the weights over the slots (B, h, n, s).
    /// </summary>
    public (Tensor Output, Tensor LogSumExp, Tensor Weights) Read(Tensor queries, Tensor slots, Tensor bias)
    {
        using var scope = NewDisposeScope();
        var (keys, values) = KeysValues(slots);
        var (output, lse, weights) = SlotAttention.Attend(queries, keys, values, bias);
        return (output.MoveToOuterDisposeScope(), lse.MoveToOuterDisposeScope(), weights.MoveToOuterDisposeScope());
    }
}
