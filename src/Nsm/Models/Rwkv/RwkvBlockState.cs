using static TorchSharp.torch;
using Nsm.Core;
using Nsm.Ops;

namespace Nsm.Models.Rwkv;

/// <summary>The recurrent state of one RWKV block: the two token-shift inputs and the WKV sums (num, den, max), each (B, C).</summary>
public sealed record RwkvBlockState(Tensor AttShift, Tensor Num, Tensor Den, Tensor Max, Tensor FfnShift)
{
    /// <summary>State names, as used in <see cref="ModelState"/> keys (layers.{i}.{name}).</summary>
    public static readonly string[] Names = ["att_shift", "wkv_num", "wkv_den", "wkv_max", "ffn_shift"];

    public IEnumerable<Tensor> Tensors => [AttShift, Num, Den, Max, FfnShift];

    /// <summary>Zero shifts and an empty WKV state (max = -1e38) for a batch.</summary>
    public static RwkvBlockState Empty(long batch, long dim, Device device)
    {
        var (num, den, max) = Ops.Wkv.InitialState(batch, dim, device);
        return new RwkvBlockState(zeros(batch, dim, device: device), num, den, max, zeros(batch, dim, device: device));
    }

    /// <summary>Reads layer i's state from named tensors.</summary>
    public static RwkvBlockState From(IReadOnlyDictionary<string, Tensor> tensors, int layer)
    {
        Tensor Get(int k) => tensors[$"layers.{layer}.{Names[k]}"];
        return new RwkvBlockState(Get(0), Get(1), Get(2), Get(3), Get(4));
    }

    /// <summary>Writes layer i's state into named tensors.</summary>
    public void To(IDictionary<string, Tensor> tensors, int layer)
    {
        var values = Tensors.ToArray();
        for (var k = 0; k < Names.Length; k++) tensors[$"layers.{layer}.{Names[k]}"] = values[k];
    }
}
