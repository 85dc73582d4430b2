using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Modules;

namespace Nsm.Models.Mamba;

/// <summary>Pre-norm residual Mamba block of the reference language model: x + Mixer(RMSNorm(x)). (B, L, d) -> (B, L, d).</summary>
public sealed class MambaBlock : nn.Module<Tensor, Tensor>
{
    private readonly RmsNorm norm;
    private readonly MambaMixer mixer;
    private readonly Dropout dropout;

    public MambaBlock(MambaMixer mixer, long dim, double dropoutRate) : base(nameof(MambaBlock))
    {
        norm = new RmsNorm(dim, eps: 1e-5);
        this.mixer = mixer;
        dropout = nn.Dropout(dropoutRate);
        RegisterComponents();
    }

    public MambaMixer Mixer => mixer;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return (x + dropout.forward(mixer.forward(norm.forward(x)))).MoveToOuterDisposeScope();
    }

    /// <summary>Streaming; see <see cref="MambaMixer.Forward"/>.</summary>
    public (Tensor Output, Tensor ConvState, Tensor SsmState) Forward(Tensor x, Tensor convState, Tensor ssmState)
    {
        using var scope = NewDisposeScope();
        var (y, conv, ssm) = mixer.Forward(norm.forward(x), convState, ssmState);
        return ((x + dropout.forward(y)).MoveToOuterDisposeScope(), conv.MoveToOuterDisposeScope(), ssm.MoveToOuterDisposeScope());
    }
}
