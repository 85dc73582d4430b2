using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nsm.Modules;

/// <summary>Root-mean-square normalisation over the last dimension with a learned gain: (..., d) -> (..., d).</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double eps;

    public RmsNorm(long dim, double eps = 1e-6) : base(nameof(RmsNorm))
    {
        weight = nn.Parameter(ones(dim));
        this.eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var rms = x.pow(2).mean([-1], keepdim: true).add(eps).rsqrt();
        return (x * rms * weight).MoveToOuterDisposeScope();
    }
}
