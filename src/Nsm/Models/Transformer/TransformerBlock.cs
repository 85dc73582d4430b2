using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Modules;

namespace Nsm.Models.Transformer;

/// <summary>Pre-norm Transformer block: x + Attn(Norm(x)), then x + SwiGLU(Norm(x)). (B, N, d) -> (B, N, d).</summary>
public sealed class TransformerBlock : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly RmsNorm attn_norm;
    private readonly SelfAttention attn;
    private readonly RmsNorm ffn_norm;
    private readonly SwiGlu ffn;
    private readonly Dropout dropout;

    public TransformerBlock(long dim, long numHeads, long ffnHidden, bool causal, double ropeBase, double dropoutRate) : base(nameof(TransformerBlock))
    {
        attn_norm = new RmsNorm(dim);
        attn = new SelfAttention(dim, numHeads, causal, ropeBase);
        ffn_norm = new RmsNorm(dim);
        ffn = new SwiGlu(dim, ffnHidden);
        dropout = nn.Dropout(dropoutRate);
        RegisterComponents();
    }

    public SelfAttention Attention => attn;

    public override Tensor forward(Tensor x, Tensor? paddingMask)
    {
        using var scope = NewDisposeScope();
        x = x + dropout.forward(attn.forward(attn_norm.forward(x), paddingMask));
        x = x + dropout.forward(ffn.forward(ffn_norm.forward(x)));
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Streaming step with a key/value cache; see <see cref="SelfAttention.Forward"/>.</summary>
    public (Tensor Output, Tensor Keys, Tensor Values) Forward(Tensor x, Tensor pastKeys, Tensor pastValues, long offset)
    {
        using var scope = NewDisposeScope();
        var (attended, keys, values) = attn.Forward(attn_norm.forward(x), pastKeys, pastValues, offset);
        x = x + attended;
        x = x + ffn.forward(ffn_norm.forward(x));
        return (x.MoveToOuterDisposeScope(), keys.MoveToOuterDisposeScope(), values.MoveToOuterDisposeScope());
    }
}
