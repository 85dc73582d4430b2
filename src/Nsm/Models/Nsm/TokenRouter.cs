using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Ops;

namespace Nsm.Models.Nsm;

/// <summary>
/// "token" write mode: each routing head gives every row logits over the slots,
/// R = Y·W_r + log sigmoid(theta) (optionally only each row's top-k slots, optionally a learned
/// null slot that absorbs mass), r = softmax(R / tau), with r = 0 for padding; with a floor
/// phi > 0, r = max(r - phi, 0) / (1 - phi), so weights at or below phi are exactly 0. With the write
/// multiplier r'_tj = sigmoid(theta_j)·r_tj, slot j receives the candidate
/// U_j = sum_t r'_tj·V_t / (sum_t r'_tj + eps) and the write mass m_j = sum_t r'_tj.
/// Head k routes channels k·d/heads .. (k+1)·d/heads of the values V = Y·W_v.
/// </summary>
public sealed class TokenRouter : StateWriter
{
    private readonly Linear route_proj;
    private readonly Linear value_proj;
    private readonly Parameter? null_logit;
    private readonly long heads;
    private readonly long dim;
    private readonly double temperature;
    private readonly int topK;
    private readonly double floor;
    private long slots;

    public TokenRouter(long dim, long slots, long heads, double temperature, int topK, bool nullSlot, double floor = 0) : base(nameof(TokenRouter))
    {
        this.floor = floor;
        this.dim = dim;
        this.slots = slots;
        this.heads = heads;
        this.temperature = temperature;
        this.topK = topK;
        route_proj = nn.Linear(dim, heads * slots, hasBias: false);
        value_proj = nn.Linear(dim, dim, hasBias: false);
        if (nullSlot) null_logit = nn.Parameter(zeros(heads));
        RegisterComponents();
    }

    /// <summary>
    /// Routing probabilities of rows y: (B, n, d) -> (B, n, heads, s), before the padding mask
    /// and the importance multiplier; a row's probabilities over the slots sum to 1 minus what
    /// the null slot took (less, with a floor).
    /// </summary>
    public Tensor Probabilities(Tensor y, SlotContext context)
    {
        using var scope = NewDisposeScope();
        var (b, n) = (y.shape[0], y.shape[1]);
        var logits = route_proj.forward(y).view(b, n, heads, slots) + context.LogitBias;  // (B, n, heads, s)
        if (topK > 0 && topK < slots)
        {
            var kth = logits.topk(topK, -1).values.narrow(-1, topK - 1, 1);   // (B, n, heads, 1)
            logits = logits.masked_fill(logits.lt(kth), NsmOps.Masked);
        }
        if (null_logit is not null)
            logits = cat([logits, null_logit.view(1, 1, heads, 1).expand(b, n, heads, 1)], -1);  // (B, n, heads, s + 1)
        // The temperature applies to the null slot too, so it competes on the same scale at any tau.
        var probabilities = (logits / temperature).softmax(-1).narrow(-1, 0, slots);
        // The floor: what is at most phi becomes exactly 0, so filler can write nothing at all.
        if (floor > 0) probabilities = (probabilities - floor).clamp_min(0) / (1 - floor);
        return probabilities.MoveToOuterDisposeScope();
    }

    /// <summary>Written values of rows y: (B, n, d) -> (B, n, heads, d/heads).</summary>
    public Tensor Values(Tensor y) => value_proj.forward(y).view(y.shape[0], y.shape[1], heads, dim / heads);

    /// <summary>Routing depends on the rows only.</summary>
    public override bool ReadsSlots => false;

    public override (Tensor Candidate, Tensor Mass) Write(Tensor inputs, Tensor? valid, Tensor slotState, SlotContext context)
    {
        using var scope = NewDisposeScope();
        var probabilities = Probabilities(inputs, context);                      // (B, n, heads, s)
        context.Probe?.AddTokenRouting(probabilities, valid);
        var r = probabilities * context.WriteScale;
        if (valid is not null) r = r * valid.to(r.dtype).unsqueeze(-1).unsqueeze(-1);
        var mass = r.sum(1);                                                      // (B, heads, s)
        var values = Values(inputs).transpose(1, 2);                              // (B, heads, n, dh)
        var weighted = r.permute(0, 2, 3, 1).matmul(values);                      // (B, heads, s, dh)
        var candidate = weighted / (mass.unsqueeze(-1) + Eps);
        return (MergeHeads(candidate).MoveToOuterDisposeScope(), PerChannel(mass, dim).MoveToOuterDisposeScope());
    }

    /// <summary>The routing weight holds one row block per head: (heads·s, d) seen as heads groups of s rows; a new slot's rows start like nn.Linear's, U(-1/sqrt(d), 1/sqrt(d)).</summary>
    public override IReadOnlyList<SlotRemap> Resize(long[] source)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var weight = route_proj.weight!;
        var fresh = source.Count(i => i < 0);
        var bound = 1 / Math.Sqrt(dim);
        StateManager.Replace(weight, source, fresh > 0 ? (rand(heads * fresh, dim, device: weight.device) * 2 - 1) * bound : null, heads);
        slots = source.LongLength;
        return [new SlotRemap(weight, heads, source)];
    }
}
