using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nsm.Modules;

/// <summary>SwiGLU feed-forward block (Shazeer 2020): (..., d) -> (..., d) via silu(x W1) * (x W3) W2.</summary>
public sealed class SwiGlu : nn.Module<Tensor, Tensor>
{
    private readonly Linear w1;
    private readonly Linear w3;
    private readonly Linear w2;

    public SwiGlu(long dim, long hidden) : base(nameof(SwiGlu))
    {
        w1 = nn.Linear(dim, hidden, hasBias: false);
        w3 = nn.Linear(dim, hidden, hasBias: false);
        w2 = nn.Linear(hidden, dim, hasBias: false);
        RegisterComponents();
    }

    /// <summary>Hidden width for a multiplier, rounded up to a multiple of 8.</summary>
    public static long HiddenWidth(long dim, double mult) => Math.Max(8, (long)Math.Ceiling(dim * mult / 8.0) * 8);

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return w2.forward(nn.functional.silu(w1.forward(x)) * w3.forward(x)).MoveToOuterDisposeScope();
    }
}
