using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Config;

namespace Nsm.Models.S4d;

/// <summary>
/// Pre-norm residual S4D block of the authors' example model: x + Dropout(S4D(LayerNorm(x))).
/// (B, L, H) -> (B, L, H).
/// </summary>
public sealed class S4dBlock : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm norm;
    private readonly S4dLayer s4d;
    private readonly Dropout dropout;

    public S4dBlock(long dim, long stateSize, S4dInit init, double dtMin, double dtMax, double dropoutRate) : base(nameof(S4dBlock))
    {
        norm = nn.LayerNorm(dim);
        s4d = new S4dLayer(dim, stateSize, init, dtMin, dtMax, dropoutRate);
        dropout = nn.Dropout(dropoutRate);
        RegisterComponents();
    }

    public S4dLayer Layer => s4d;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return (x + dropout.forward(s4d.forward(norm.forward(x)))).MoveToOuterDisposeScope();
    }

    /// <summary>Streaming: x (B, n, H) and the layer's SSM state; see <see cref="S4dLayer.Forward"/>.</summary>
    public (Tensor Output, Tensor State) Forward(Tensor x, Tensor state)
    {
        using var scope = NewDisposeScope();
        var (y, next) = s4d.Forward(norm.forward(x), state);
        return ((x + dropout.forward(y)).MoveToOuterDisposeScope(), next.MoveToOuterDisposeScope());
    }
}
