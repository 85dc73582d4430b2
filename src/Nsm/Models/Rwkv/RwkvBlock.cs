using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nsm.Models.Rwkv;

/// <summary>
/// RWKV-4 block: x + TimeMix(LN(x)), then x + ChannelMix(LN(x)); the first block also normalises
/// its input (ln0). (B, T, C) -> (B, T, C).
/// </summary>
public sealed class RwkvBlock : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm? ln0;
    private readonly LayerNorm ln1;
    private readonly LayerNorm ln2;
    private readonly RwkvTimeMix att;
    private readonly RwkvChannelMix ffn;
    private readonly Dropout dropout;

    public RwkvBlock(long dim, int layer, int layers, long scanChunk, double dropoutRate) : base(nameof(RwkvBlock))
    {
        if (layer == 0) ln0 = nn.LayerNorm(dim);
        ln1 = nn.LayerNorm(dim);
        ln2 = nn.LayerNorm(dim);
        att = new RwkvTimeMix(dim, layer, layers, scanChunk);
        ffn = new RwkvChannelMix(dim, layer, layers);
        dropout = nn.Dropout(dropoutRate);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        if (ln0 is not null) x = ln0.forward(x);
        x = x + dropout.forward(att.forward(ln1.forward(x)));
        x = x + dropout.forward(ffn.forward(ln2.forward(x)));
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Streaming: x (B, T, C) and the block's state (time-mix shift, WKV sums, channel-mix shift).
    /// Returns the output and the new state.
    /// </summary>
    public (Tensor Output, RwkvBlockState State) Forward(Tensor x, RwkvBlockState state)
    {
        using var scope = NewDisposeScope();
        if (ln0 is not null) x = ln0.forward(x);
        var (attended, attShift, wkv) = att.Forward(ln1.forward(x), state.AttShift, (state.Num, state.Den, state.Max));
        x = x + dropout.forward(attended);
        var (mixed, ffnShift) = ffn.Forward(ln2.forward(x), state.FfnShift);
        x = x + dropout.forward(mixed);
        var next = new RwkvBlockState(attShift, wkv.Num, wkv.Den, wkv.Max, ffnShift);
        foreach (var t in next.Tensors) t.MoveToOuterDisposeScope();
        return (x.MoveToOuterDisposeScope(), next);
    }
}
