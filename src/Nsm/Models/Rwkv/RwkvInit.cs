using static TorchSharp.torch;

namespace Nsm.Models.Rwkv;

/// <summary>
/// RWKV-4's layer-dependent initialisation of the token-shift mixes and decays
/// (BlinkDL/RWKV-LM, RWKV-v4neo): lower layers mix more of the previous token and decay faster
/// in some channels, slower in others.
/// </summary>
internal static class RwkvInit
{
    /// <summary>layer / (layers - 1): 0 at the first layer, 1 at the last (0 for a single layer).</summary>
    public static double ZeroToOne(int layer, int layers) => layers > 1 ? (double)layer / (layers - 1) : 0;

    /// <summary>1 - layer / layers: 1 at the first layer, close to 0 at the last.</summary>
    public static double OneToAlmostZero(int layer, int layers) => 1.0 - (double)layer / layers;

    /// <summary>i / C for channel i: (C).</summary>
    public static Tensor ChannelRamp(long channels) => arange(channels, dtype: ScalarType.Float32) / channels;

    /// <summary>time_decay[h] = -5 + 8 (h / (C-1))^(0.7 + 1.3 r): (C).</summary>
    public static Tensor TimeDecay(long channels, double zeroToOne)
    {
        var h = arange(channels, dtype: ScalarType.Float32) / Math.Max(1, channels - 1);
        return pow(h, 0.7 + 1.3 * zeroToOne) * 8 - 5;
    }

    /// <summary>time_first = log(0.3) + zigzag, zigzag = 0.5 ((i + 1) mod 3 - 1): (C).</summary>
    public static Tensor TimeFirst(long channels)
    {
        var zigzag = (remainder(arange(1, channels + 1, dtype: ScalarType.Float32), 3) - 1) * 0.5;
        return zigzag + Math.Log(0.3);
    }
}
