using static TorchSharp.torch;
using Nsm.Core;
using Nsm.Ops;

namespace Nsm.Models.Rwkv;

/// <summary>The recurrent state of one RWKV block: the two token-shift inputs and the WKV sums (num, den, max), each (B, C).</summary>
public sealed record RwkvBlockState(Tensor AttShift, Tensor Num, Tensor Den, Tensor Max, Tensor FfnShift) : ILayerState
{
    /// <summary>State names, as saved (layers.{i}.{name}).</summary>
    public static readonly string[] Names = ["att_shift", "wkv_num", "wkv_den", "wkv_max", "ffn_shift"];

    public IEnumerable<Tensor> Tensors => [AttShift, Num, Den, Max, FfnShift];

    public IEnumerable<(string Name, Tensor Tensor)> Named() => Names.Zip(Tensors);

    /// <summary>Zero shifts and an empty WKV state (max = -1e38) for a batch.</summary>
    public static RwkvBlockState Empty(long batch, long dim, Device device)
    {
        var (num, den, max) = Ops.Wkv.InitialState(batch, dim, device);
        return new RwkvBlockState(zeros(batch, dim, device: device), num, den, max, zeros(batch, dim, device: device));
    }

    /// <summary>The state from a layer's named tensors.</summary>
    public static RwkvBlockState From(LayerTensors tensors)
    {
        Tensor Get(int k) => tensors.Get(Names[k]);
        return new RwkvBlockState(Get(0), Get(1), Get(2), Get(3), Get(4));
    }
}
