using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Modules;
using Nsm.Ops;

namespace Nsm.Models.Nsm;

/// <summary>
/// "slot" write mode (Perceiver-style): each slot, per routing head, attends with a query from
/// Norm(S_{k-1}) over the chunk's rows (padding masked; optionally a learned null key that
/// lets a slot take nothing), with log sigmoid(theta_j) added to its row logits. The candidate
/// is the attention-weighted mean of the rows' values over the real rows,
/// U_j = sum_t a_jt·V_t / (sum_t a_jt + eps), and the write mass is
/// m_j = sigmoid(theta_j)·n_valid·sum_t a_jt: a slot that takes all its attention from the
/// chunk counts as having received every row.
/// </summary>
public sealed class SlotRouter : StateWriter
{
    private readonly RmsNorm slot_norm;
    private readonly Linear query_proj;
    private readonly Linear kv_proj;
    private readonly Parameter? null_logit;
    private readonly long heads;
    private readonly long dim;

    public SlotRouter(long dim, long heads, bool nullKey) : base(nameof(SlotRouter))
    {
        this.dim = dim;
        this.heads = heads;
        slot_norm = new RmsNorm(dim);
        query_proj = nn.Linear(dim, dim, hasBias: false);
        kv_proj = nn.Linear(dim, 2 * dim, hasBias: false);
        if (nullKey) null_logit = nn.Parameter(zeros(heads));
        RegisterComponents();
    }

    /// <summary>The queries come from the slots.</summary>
    public override bool ReadsSlots => true;

    public override (Tensor Candidate, Tensor Mass) Write(Tensor inputs, Tensor? valid, Tensor slotState, SlotContext context)
    {
        using var scope = NewDisposeScope();
        var (b, n, s) = (inputs.shape[0], inputs.shape[1], slotState.shape[1]);
        var dh = dim / heads;
        var queries = query_proj.forward(slot_norm.forward(slotState)).view(b, s, heads, dh).transpose(1, 2);   // (B, heads, s, dh)
        var kv = kv_proj.forward(inputs).view(b, n, 2, heads, dh).permute(2, 0, 3, 1, 4);                       // (2, B, heads, n, dh)
        var logits = queries.matmul(kv[0].transpose(-1, -2)) / Math.Sqrt(dh)
                     + context.LogitBias.view(1, 1, s, 1);                                                    // (B, heads, s, n)
        if (valid is not null) logits = logits.masked_fill(valid.logical_not().view(b, 1, 1, n), NsmOps.Masked);
        if (null_logit is not null)
            logits = cat([logits, null_logit.view(1, heads, 1, 1).expand(b, heads, s, 1)], -1);                  // (B, heads, s, n + 1)
        var attention = logits.softmax(-1).narrow(-1, 0, n);                                                     // (B, heads, s, n)
        if (valid is not null) attention = attention * valid.to(attention.dtype).view(b, 1, 1, n);
        context.Probe?.AddSlotRouting(attention, context.ActiveWeight);
        var taken = attention.sum(-1);                                                                           // (B, heads, s)
        var candidate = attention.matmul(kv[1]) / (taken.unsqueeze(-1) + Eps);                                   // (B, heads, s, dh)
        var rows = valid is null ? full([b, 1, 1], (float)n, device: inputs.device) : valid.to(ScalarType.Float32).sum(1).view(b, 1, 1);
        var mass = taken * context.WriteScale.view(1, 1, s) * rows;
        return (MergeHeads(candidate).MoveToOuterDisposeScope(), PerChannel(mass, dim).MoveToOuterDisposeScope());
    }

    /// <summary>No per-slot parameters: slots are addressed by their content.</summary>
    public override IReadOnlyList<SlotRemap> Resize(long[] source) => [];
}
