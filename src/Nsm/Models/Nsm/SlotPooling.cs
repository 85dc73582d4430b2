using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Modules;
using Nsm.Ops;

namespace Nsm.Models.Nsm;

/// <summary>
/// Attention pooling of the final slots for classification: a learned query attends over
/// Norm(S) of the active slots. (B, s, d) -> (B, d).
/// </summary>
public sealed class SlotPooling : nn.Module
{
    private readonly RmsNorm slot_norm;
    private readonly Parameter pool_query;

    public SlotPooling(long dim) : base(nameof(SlotPooling))
    {
        slot_norm = new RmsNorm(dim);
        pool_query = nn.Parameter(randn(dim) * (1.0 / Math.Sqrt(dim)));
        RegisterComponents();
    }

    /// <summary>slots: (B, s, d); active: (s) bool. Returns (B, d).</summary>
    public Tensor forward(Tensor slots, Tensor active)
    {
        using var scope = NewDisposeScope();
        var normed = slot_norm.forward(slots);                                                   // (B, s, d)
        var logits = normed.matmul(pool_query) / Math.Sqrt(slots.shape[^1]);                    // (B, s)
        logits = logits.masked_fill(active.logical_not().unsqueeze(0), NsmOps.Masked);
        var weights = logits.softmax(-1).unsqueeze(1);                                           // (B, 1, s)
        return weights.matmul(normed).squeeze(1).MoveToOuterDisposeScope();                     // (B, d)
    }
}
