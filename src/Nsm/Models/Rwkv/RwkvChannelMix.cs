using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nsm.Models.Rwkv;

/// <summary>
/// RWKV-4 channel mixing: a token-shifted feed-forward with squared ReLU, hidden width 4C, gated by
/// sigmoid(receptance): out_t = sigmoid(W_r x'_t) * W_v relu(W_k x''_t)^2. (B, T, C) -> (B, T, C).
/// Streaming state: the previous token's input (B, C).
/// </summary>
public sealed class RwkvChannelMix : nn.Module<Tensor, Tensor>
{
    private readonly Parameter time_mix_k;
    private readonly Parameter time_mix_r;
    private readonly Linear key;
    private readonly Linear receptance;
    private readonly Linear value;

    public RwkvChannelMix(long dim, int layer, int layers) : base(nameof(RwkvChannelMix))
    {
        var oneToZero = RwkvInit.OneToAlmostZero(layer, layers);
        var ramp = RwkvInit.ChannelRamp(dim);
        time_mix_k = nn.Parameter(pow(ramp, oneToZero));
        time_mix_r = nn.Parameter(pow(ramp, oneToZero));
        var hidden = 4 * dim;
        key = nn.Linear(dim, hidden, hasBias: false);
        receptance = nn.Linear(dim, dim, hasBias: false);
        value = nn.Linear(hidden, dim, hasBias: false);
        using (no_grad())
        {
            // RWKV-v4neo: receptance and value start at zero, key orthogonal with gain sqrt(4C / C).
            nn.init.zeros_(receptance.weight);
            nn.init.zeros_(value.weight);
            nn.init.orthogonal_(key.weight, Math.Sqrt(4.0));
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return Forward(x, zeros(x.shape[0], x.shape[2], device: x.device)).Output.MoveToOuterDisposeScope();
    }

    /// <summary>x (B, T, C) after the previous input token shift (B, C). Returns the output and the last input token.</summary>
    public (Tensor Output, Tensor Shift) Forward(Tensor x, Tensor shift)
    {
        using var scope = NewDisposeScope();
        var length = x.shape[1];
        var previous = cat([shift.unsqueeze(1), x.narrow(1, 0, length - 1)], 1);       // (B, T, C): x_{t-1}
        var k = nn.functional.relu(key.forward(RwkvTimeMix.Mix(x, previous, time_mix_k))).square();
        var y = sigmoid(receptance.forward(RwkvTimeMix.Mix(x, previous, time_mix_r))) * value.forward(k);
        // The shift state is a copy, so it does not keep x alive.
        return (y.MoveToOuterDisposeScope(), x.select(1, length - 1).clone().MoveToOuterDisposeScope());
    }
}
