using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Ops;

namespace Nsm.Models.Rwkv;

/// <summary>
/// RWKV-4 time mixing (Peng et al. 2023, "RWKV: Reinventing RNNs for the Transformer Era"):
/// token shift (each of r, k, v reads a learned per-channel mix of this token and the previous
/// one), the WKV operator (a softmax-like average of past values with per-channel exponential
/// decay w and a bonus u for the current token), and the receptance gate sigmoid(r).
///   out_t = W_o (sigmoid(r_t) * wkv_t). (B, T, C) -> (B, T, C).
/// Streaming state: the previous token's input (B, C) and the WKV sums (num, den, max), each (B, C).
/// </summary>
public sealed class RwkvTimeMix : nn.Module<Tensor, Tensor>
{
    // Per-channel vectors are kept 1-D, so the trainer puts them in the no-decay group (RWKV
    // trains time_* without weight decay).
    private readonly Parameter time_decay;
    private readonly Parameter time_first;
    private readonly Parameter time_mix_k;
    private readonly Parameter time_mix_v;
    private readonly Parameter time_mix_r;
    private readonly Linear key;
    private readonly Linear value;
    private readonly Linear receptance;
    private readonly Linear output;
    private readonly long scanChunk;

    /// <param name="dim">C, the model width.</param>
    /// <param name="layer">Index of this layer (for the layer-dependent init).</param>
    /// <param name="layers">Number of layers.</param>
    /// <param name="scanChunk">Chunk length of the chunked WKV; 0 = 16.</param>
    public RwkvTimeMix(long dim, int layer, int layers, long scanChunk = 0) : base(nameof(RwkvTimeMix))
    {
        var zeroToOne = RwkvInit.ZeroToOne(layer, layers);
        var oneToZero = RwkvInit.OneToAlmostZero(layer, layers);
        var ramp = RwkvInit.ChannelRamp(dim);
        time_decay = nn.Parameter(RwkvInit.TimeDecay(dim, zeroToOne));
        time_first = nn.Parameter(RwkvInit.TimeFirst(dim));
        time_mix_k = nn.Parameter(pow(ramp, oneToZero));
        time_mix_v = nn.Parameter(pow(ramp, oneToZero) + 0.3 * zeroToOne);
        time_mix_r = nn.Parameter(pow(ramp, 0.5 * oneToZero));
        key = nn.Linear(dim, dim, hasBias: false);
        value = nn.Linear(dim, dim, hasBias: false);
        receptance = nn.Linear(dim, dim, hasBias: false);
        output = nn.Linear(dim, dim, hasBias: false);
        using (no_grad())
        {
            // As RWKV-v4neo's generate_init_weight: key, receptance and output start at zero (the
            // block starts as the identity), value orthogonal.
            nn.init.zeros_(key.weight);
            nn.init.zeros_(receptance.weight);
            nn.init.zeros_(output.weight);
            nn.init.orthogonal_(value.weight);
        }
        this.scanChunk = scanChunk > 0 ? scanChunk : 16;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var shift = zeros(x.shape[0], x.shape[2], device: x.device);
        var state = Wkv.InitialState(x.shape[0], x.shape[2], x.device);
        return Forward(x, shift, state).Output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// x (B, T, C) after the previous input token shift (B, C) and WKV state. Several tokens use the
    /// chunked WKV, one token the recurrence. Returns the output, the last input token and the new state.
    /// </summary>
    public (Tensor Output, Tensor Shift, (Tensor Num, Tensor Den, Tensor Max) State) Forward(
        Tensor x, Tensor shift, (Tensor Num, Tensor Den, Tensor Max) state)
    {
        using var scope = NewDisposeScope();
        var length = x.shape[1];
        var previous = cat([shift.unsqueeze(1), x.narrow(1, 0, length - 1)], 1);       // (B, T, C): x_{t-1}
        var k = key.forward(Mix(x, previous, time_mix_k));
        var v = value.forward(Mix(x, previous, time_mix_v));
        var r = receptance.forward(Mix(x, previous, time_mix_r));
        var w = exp(time_decay);                                                        // decay rate > 0
        // One token: the recurrence. Several on the CPU: the fused loop, O(B T C) memory
        // (docs/baselines.md, "profile"); elsewhere the chunked form.
        var (wkv, next) = length == 1 ? Wkv.Recurrent(w, time_first, k, v, state)
            : Wkv.FusedSupports(k) ? Wkv.Fused(w, time_first, k, v, state)
            : Wkv.Chunked(w, time_first, k, v, state, scanChunk);
        var y = output.forward(sigmoid(r) * wkv);
        var lastInput = x.select(1, length - 1).clone();                                // a copy: the state must not keep x alive
        return (y.MoveToOuterDisposeScope(), lastInput.MoveToOuterDisposeScope(),
            (next.Num.MoveToOuterDisposeScope(), next.Den.MoveToOuterDisposeScope(), next.Max.MoveToOuterDisposeScope()));
    }

    /// <summary>Token shift: mu * x_t + (1 - mu) * x_{t-1}, per channel.</summary>
    internal static Tensor Mix(Tensor x, Tensor previous, Tensor mu) => x * mu + previous * (1 - mu);
}
