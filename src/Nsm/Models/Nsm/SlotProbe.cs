using static TorchSharp.torch;

namespace Nsm.Models.Nsm;

/// <summary>
/// Watches one NSM layer's forward passes: the routing the writer really used, the read
/// weights, the slots after each chunk, and the routing entropy. Attached with
/// <see cref="NsmLayer.Probe"/>; a layer without a probe records nothing and runs exactly as
/// before (the probe only reads tensors the layer computes anyway, outside the autograd graph).
///
/// With <c>keepArrays</c> (inspection) every tensor is kept for batch row order; without it
/// (training statistics) only the entropy sums are, so a probe costs a few reductions per call.
/// </summary>
public sealed class SlotProbe
{
    private readonly bool keepArrays;
    private readonly List<Tensor> routing = [];
    private readonly List<Tensor> routingNull = [];
    private readonly List<Tensor> readWeights = [];
    private readonly List<Tensor> readShare = [];
    private readonly List<Tensor> trajectory = [];
    private double entropySum;
    private double entropyCount;
    private long batch;
    private long extraRows;

    /// <param name="keepArrays">Keep every recorded tensor (for inspection); otherwise only the entropy.</param>
    public SlotProbe(bool keepArrays) => this.keepArrays = keepArrays;

    /// <summary>"token" (rows choose slots: each token's routing sums to 1 over the slots and the null slot) or "slot" (slots choose rows: each slot's attention sums to 1 over the rows and its null key); null before any write.</summary>
    public string? RoutingKind { get; private set; }

    /// <summary>
    /// Routing of the written tokens, (B, T, heads, s), T the tokens of the chunks completed so
    /// far in order. "token": row t's probabilities over the slots; "slot": slot j's attention on
    /// token t. Zero for padding and for inactive slots.
    /// </summary>
    public Tensor? Routing => Joined(routing, 1);

    /// <summary>What the null slot took: "token": (B, T, heads) per token; "slot": (B, C, heads, s) per chunk and slot; null without a null slot's mass recorded.</summary>
    public Tensor? RoutingNull => Joined(routingNull, 1);

    /// <summary>Read weights within the slots (B, h, N, s) of every token read so far.</summary>
    public Tensor? ReadWeights => Joined(readWeights, 2);

    /// <summary>Share of each token's read that went to the slots rather than the local window (B, h, N).</summary>
    public Tensor? ReadShare => Joined(readShare, 2);

    /// <summary>The slots after each write, (B, C, s, d): the state the next chunk reads (before communication's read view in the parallel form).</summary>
    public Tensor? Trajectory => trajectory.Count == 0 ? null : stack(trajectory, 1);

    /// <summary>Mean entropy in nats of the recorded routing distributions (per token and head for "token", per slot and head for "slot"), NaN before any write.</summary>
    public double MeanWriteEntropy => entropyCount > 0 ? entropySum / entropyCount : double.NaN;

    /// <summary>Called by the layer at the start of a call: batch size, and rows after each chunk's tokens in a write (the lower layer's slots) that are not tokens.</summary>
    internal void BeginCall(long batchSize, long rowsAfterTokens)
    {
        batch = batchSize;
        extraRows = rowsAfterTokens;
    }

    /// <summary>
    /// Token routing of one write call: probabilities (M, n, heads, s) over the slots (the null
    /// slot's share is 1 minus their sum), valid (M, n) or null; M = B·K for K chunks at once,
    /// chunk k of sample b at row b·K + k.
    /// </summary>
    internal void AddTokenRouting(Tensor probabilities, Tensor? valid)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        RoutingKind = "token";
        var tokens = probabilities.shape[1] - extraRows;
        var p = probabilities.detach().narrow(1, 0, tokens);                       // (M, c, heads, s)
        var mask = valid?.narrow(1, 0, tokens).to(p.dtype);                        // (M, c)
        if (mask is not null) p = p * mask.unsqueeze(-1).unsqueeze(-1);
        var nullShare = (1 - p.sum(-1)).clamp_min(0);                              // (M, c, heads)
        if (mask is not null) nullShare = nullShare * mask.unsqueeze(-1);
        var entropy = -(XLogX(p).sum(-1) + XLogX(nullShare));                      // (M, c, heads)
        entropySum += entropy.sum().item<float>();
        entropyCount += (mask?.sum().item<float>() ?? p.shape[0] * tokens) * p.shape[2];
        if (!keepArrays) return;
        routing.Add(Rows(p).DetachFromDisposeScope());
        routingNull.Add(Rows(nullShare).DetachFromDisposeScope());
    }

    /// <summary>Slot routing of one write call: attention (M, heads, s, n) of each slot over the rows, padding zeroed; M as in <see cref="AddTokenRouting"/>.</summary>
    internal void AddSlotRouting(Tensor attention, Tensor activeWeight)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        RoutingKind = "slot";
        var a = attention.detach();                                                 // (M, heads, s, n)
        var nullShare = (1 - a.sum(-1)).clamp_min(0);                              // (M, heads, s)
        var perSlot = -(XLogX(a).sum(-1) + XLogX(nullShare)) * activeWeight;      // (M, heads, s)
        entropySum += perSlot.sum().item<float>();
        entropyCount += a.shape[0] * a.shape[1] * activeWeight.sum().item<float>();
        if (!keepArrays) return;
        var tokens = a.shape[3] - extraRows;
        var perToken = a.narrow(3, 0, tokens).permute(0, 3, 1, 2);                 // (M, c, heads, s)
        routing.Add(Rows(perToken).DetachFromDisposeScope());
        var chunks = nullShare.shape[0] / batch;
        routingNull.Add(nullShare.reshape(batch, chunks, nullShare.shape[1], nullShare.shape[2]).DetachFromDisposeScope());
    }

    /// <summary>Read of some tokens: weights within the slots (B, h, n, s) and the slots' share (B, h, n, 1).</summary>
    internal void AddRead(Tensor weights, Tensor share)
    {
        if (!keepArrays) return;
        using var noGrad = no_grad();
        readWeights.Add(weights.detach().clone().DetachFromDisposeScope());
        readShare.Add(share.detach().squeeze(-1).clone().DetachFromDisposeScope());
    }

    /// <summary>The slots (B, s, d) after one write.</summary>
    internal void AddSlots(Tensor slots)
    {
        if (!keepArrays) return;
        using var noGrad = no_grad();
        trajectory.Add(slots.detach().clone().DetachFromDisposeScope());
    }

    /// <summary>Forgets everything recorded (the probe stays attached).</summary>
    public void Clear()
    {
        foreach (var list in new[] { routing, routingNull, readWeights, readShare, trajectory })
        {
            foreach (var t in list) t.Dispose();
            list.Clear();
        }
        entropySum = entropyCount = 0;
        RoutingKind = null;
    }

    /// <summary>(M, c, ...) with M = B·K -> (B, K·c, ...): the chunks of a sample in order.</summary>
    private Tensor Rows(Tensor perWrite)
    {
        var shape = perWrite.shape.ToArray();
        var rest = shape.Skip(2).ToArray();
        return perWrite.reshape([batch, shape[0] / batch * shape[1], .. rest]);
    }

    private static Tensor XLogX(Tensor p) => where(p.gt(0), p * p.clamp_min(1e-30).log(), zeros_like(p));

    private static Tensor? Joined(List<Tensor> parts, long dim) => parts.Count == 0 ? null : cat(parts, dim);
}
