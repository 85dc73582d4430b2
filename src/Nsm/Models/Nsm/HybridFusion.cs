using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Ops;

namespace Nsm.Models.Nsm;

/// <summary>
/// Combines the local token read and the slot read of a token.
/// "joint": one softmax per head over both key sets, computed exactly from the two partial
/// attentions and their log-normalisers (o = e^(lse_l - lse)·o_l + e^(lse_s - lse)·o_s with
/// lse = log(e^lse_l + e^lse_s)).
/// "gated": two separate softmaxes mixed by g = sigmoid(W_g·h) per token and channel,
/// o = g·o_l + (1 - g)·o_s.
/// Without local attention the slot read is the output.
/// </summary>
public sealed class HybridFusion : nn.Module
{
    private readonly Linear? gate_proj;
    private readonly long numHeads;

    public HybridFusion(long dim, long numHeads, NsmFusion fusion) : base(nameof(HybridFusion))
    {
        this.numHeads = numHeads;
        Mode = fusion;
        if (fusion == NsmFusion.Gated) gate_proj = nn.Linear(dim, dim);
        RegisterComponents();
    }

    /// <summary>Joint or gated.</summary>
    public NsmFusion Mode { get; }

    /// <summary>
    /// h: (B, n, d) the normed tokens (for the gate); local: outputs (B, h, n, hd) and
    /// log-normalisers (B, h, n), or null without local attention; state: the same for the slots.
    /// Returns the fused output (B, h, n, hd) and the share of attention that went to the slots
    /// (B, h, n, 1), for the StateManager's read-usage statistics.
    /// </summary>
    public (Tensor Output, Tensor StateShare) Combine(Tensor h, (Tensor Output, Tensor LogSumExp)? local, (Tensor Output, Tensor LogSumExp) state)
    {
        using var scope = NewDisposeScope();
        if (local is not { } l)
            return (state.Output.alias().MoveToOuterDisposeScope(), ones_like(state.LogSumExp).unsqueeze(-1).MoveToOuterDisposeScope());
        Tensor output, share;
        if (gate_proj is null)
        {
            // Shares of one softmax over both key sets: e^lse_s / (e^lse_l + e^lse_s) = sigmoid(lse_s - lse_l).
            // The local share is 1 - share, so o = o_l + share·(o_s - o_l).
            share = (state.LogSumExp - l.LogSumExp).sigmoid().unsqueeze(-1);       // (B, h, n, 1)
            output = l.Output + share * (state.Output - l.Output);
        }
        else
        {
            var gate = NsmOps.SplitHeads(gate_proj.forward(h).sigmoid(), numHeads);   // (B, h, n, hd)
            output = gate * l.Output + (1 - gate) * state.Output;
            share = (1 - gate).mean([-1], keepdim: true);
        }
        return (output.MoveToOuterDisposeScope(), share.MoveToOuterDisposeScope());
    }
}
