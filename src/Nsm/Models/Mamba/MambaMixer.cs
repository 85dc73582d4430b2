using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Ops;

namespace Nsm.Models.Mamba;

/// <summary>
/// Mamba-1 mixer (Gu &amp; Dao 2023; mamba_ssm/modules/mamba_simple.py): input projection to two
/// branches of width E = expand * d; the main branch goes through a short causal depthwise
/// convolution, SiLU and the selective SSM, whose step size delta, input matrix B and output matrix C
/// are computed from the token itself; the other branch gates the result with SiLU; a linear
/// projection returns to width d. (B, L, d) -> (B, L, d).
/// Streaming state: the last (kernel - 1) convolution inputs (B, E, kernel-1) and the SSM state (B, E, N).
/// </summary>
public sealed class MambaMixer : nn.Module<Tensor, Tensor>
{
    private readonly Linear in_proj;
    private readonly Conv1d conv1d;
    private readonly Linear x_proj;
    private readonly Linear dt_proj;
    // A is stored as log(-A), flattened to 1-D (E * N) so the trainer's no-decay group takes it
    // (the reference marks A_log and D _no_weight_decay).
    private readonly Parameter a_log;
    private readonly Parameter d;
    private readonly Linear out_proj;
    private readonly long inner;
    private readonly long stateSize;
    private readonly long dtRank;
    private readonly long kernel;
    private readonly long scanChunk;

    /// <param name="dim">d, the model width.</param>
    /// <param name="stateSize">N (d_state).</param>
    /// <param name="convKernel">Width of the causal depthwise convolution (d_conv).</param>
    /// <param name="expand">E = expand * d.</param>
    /// <param name="dtRank">Rank of the delta projection (0 = ceil(d / 16)).</param>
    /// <param name="dtMin">Smallest initial step.</param>
    /// <param name="dtMax">Largest initial step.</param>
    /// <param name="numLayers">Depth of the model, for the residual-branch rescaling of out_proj.</param>
    /// <param name="scanChunk">Chunk length of the chunked scan (off the CPU); 0 = 8.</param>
    public MambaMixer(long dim, long stateSize, long convKernel, long expand, long dtRank, double dtMin, double dtMax, long numLayers, long scanChunk = 0) : base(nameof(MambaMixer))
    {
        this.scanChunk = scanChunk > 0 ? scanChunk : 8;
        inner = expand * dim;
        this.stateSize = stateSize;
        this.dtRank = dtRank > 0 ? dtRank : (dim + 15) / 16;
        kernel = convKernel;
        in_proj = nn.Linear(dim, 2 * inner, hasBias: false);
        conv1d = nn.Conv1d(inner, inner, convKernel, groups: inner, bias: true);
        x_proj = nn.Linear(inner, this.dtRank + 2 * stateSize, hasBias: false);
        dt_proj = nn.Linear(this.dtRank, inner, hasBias: true);
        out_proj = nn.Linear(inner, dim, hasBias: false);
        using (no_grad())
        {
            // delta = softplus(dt_proj(.)) starts log-uniform in [dt_min, dt_max]: the bias is
            // softplus^-1(dt), the weight is uniform with std-like bound dt_rank^-1/2.
            var bound = Math.Pow(this.dtRank, -0.5);
            nn.init.uniform_(dt_proj.weight, -bound, bound);
            var dt = exp(rand(inner) * (Math.Log(dtMax) - Math.Log(dtMin)) + Math.Log(dtMin)).clamp_min(1e-4);
            dt_proj.bias!.copy_(dt + log(-expm1(-dt)));
            // GPT-2-style rescaling of the residual branch's last projection by 1/sqrt(layers).
            out_proj.weight.div_(Math.Sqrt(numLayers));
        }
        // S4D-Real initialisation: A = -(1, 2, ..., N) for every channel.
        a_log = nn.Parameter(log(arange(1, stateSize + 1, dtype: ScalarType.Float32)).repeat(inner));
        d = nn.Parameter(ones(inner));
        RegisterComponents();
    }

    /// <summary>Inner width E.</summary>
    public long Inner => inner;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (conv, ssm) = EmptyState(x.shape[0], x.device);
        return Forward(x, conv, ssm).Output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// x (B, L, d) after the tokens summarised by the convolution state (B, E, kernel-1) and the SSM
    /// state (B, E, N). Several tokens run the fused scan (CPU) or the chunked scan; one token runs
    /// the step recurrence.
    /// Returns the output (B, L, d) and both new states.
    /// </summary>
    public (Tensor Output, Tensor ConvState, Tensor SsmState) Forward(Tensor x, Tensor convState, Tensor ssmState)
    {
        using var scope = NewDisposeScope();
        var length = x.shape[1];
        var xz = in_proj.forward(x);                                                   // (B, L, 2E)
        var xs = xz.narrow(-1, 0, inner).transpose(1, 2);                               // (B, E, L)
        var z = xz.narrow(-1, inner, inner);                                            // (B, L, E)

        // Causal depthwise convolution over [previous kernel-1 inputs, this piece].
        var window = cat([convState, xs], 2);                                           // (B, E, kernel-1+L)
        // A copy, not a view: the state must not keep the whole window alive.
        var nextConv = window.narrow(2, window.shape[2] - (kernel - 1), kernel - 1).clone();
        var u = nn.functional.silu(conv1d.forward(window)).transpose(1, 2);            // (B, L, E)

        // Input-dependent delta, B, C: the selection mechanism.
        var projected = x_proj.forward(u);                                             // (B, L, r + 2N)
        var delta = nn.functional.softplus(dt_proj.forward(projected.narrow(-1, 0, dtRank))); // (B, L, E)
        var bm = projected.narrow(-1, dtRank, stateSize);                               // (B, L, N)
        var cm = projected.narrow(-1, dtRank + stateSize, stateSize);                   // (B, L, N)
        var a = -exp(a_log).view(inner, stateSize);                                     // (E, N)

        // One token: the step. Several on the CPU: the fused loop, whose memory stays O(B L E)
        // (docs/baselines.md, "profile"); elsewhere the chunked scan of tensor operations.
        var (y, nextSsm) = length == 1 ? SelectiveScan.Reference(u, delta, a, bm, cm, ssmState)
            : SelectiveScan.FusedSupports(u) ? SelectiveScan.Fused(u, delta, a, bm, cm, ssmState)
            : SelectiveScan.Chunked(u, delta, a, bm, cm, ssmState, scanChunk);
        y = (y + u * d) * nn.functional.silu(z);                                        // (B, L, E)
        return (out_proj.forward(y).MoveToOuterDisposeScope(), nextConv.MoveToOuterDisposeScope(), nextSsm.MoveToOuterDisposeScope());
    }

    /// <summary>Zero convolution state (B, E, kernel-1) and SSM state (B, E, N).</summary>
    public (Tensor ConvState, Tensor SsmState) EmptyState(long batch, Device device) =>
        (zeros([batch, inner, kernel - 1], device: device), zeros([batch, inner, stateSize], device: device));
}
