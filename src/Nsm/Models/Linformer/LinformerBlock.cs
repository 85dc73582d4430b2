using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Modules;

namespace Nsm.Models.Linformer;

/// <summary>
/// Pre-norm block with Linformer attention and the same SwiGLU feed-forward as
/// <c>TransformerBlock</c>, so Linformer and Transformer differ only in the attention:
/// x + Attn(Norm(x)), then x + SwiGLU(Norm(x)). (B, N, d) -> (B, N, d).
/// </summary>
public sealed class LinformerBlock : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly RmsNorm attn_norm;
    private readonly LinformerAttention attn;
    private readonly RmsNorm ffn_norm;
    private readonly SwiGlu ffn;
    private readonly Dropout dropout;

    public LinformerBlock(long dim, long numHeads, long ffnHidden, long maxLength, long projected, double dropoutRate) : base(nameof(LinformerBlock))
    {
        attn_norm = new RmsNorm(dim);
        attn = new LinformerAttention(dim, numHeads, maxLength, projected);
        ffn_norm = new RmsNorm(dim);
        ffn = new SwiGlu(dim, ffnHidden);
        dropout = nn.Dropout(dropoutRate);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, Tensor? paddingMask)
    {
        using var scope = NewDisposeScope();
        x = x + dropout.forward(attn.forward(attn_norm.forward(x), paddingMask));
        x = x + dropout.forward(ffn.forward(ffn_norm.forward(x)));
        return x.MoveToOuterDisposeScope();
    }
}
