using static TorchSharp.torch;

namespace Nsm.Modules;

/// <summary>
/// Rotary position embedding (Su et al., RoFormer): rotates pairs of channels of queries and
/// keys by position-dependent angles, so attention scores depend on relative position.
/// Holds no parameters; the half-split layout matches GPT-NeoX / LLaMA.
/// </summary>
public sealed class RotaryEmbedding
{
    private readonly long headDim;
    private readonly double baseFrequency;

    public RotaryEmbedding(long headDim, double baseFrequency = 10000)
    {
        if (headDim % 2 != 0) throw new ArgumentException($"rotary embedding needs an even head dimension, got {headDim}");
        this.headDim = headDim;
        this.baseFrequency = baseFrequency;
    }

    /// <summary>x: (B, h, n, hd) for positions offset .. offset+n-1; returns the rotated x, same shape.</summary>
    public Tensor Apply(Tensor x, long offset)
    {
        using var scope = NewDisposeScope();
        var n = x.shape[2];
        var half = headDim / 2;
        var inverseFrequency = pow(baseFrequency, -arange(0, half, dtype: ScalarType.Float32, device: x.device) / half); // (hd/2)
        var positions = arange(offset, offset + n, dtype: ScalarType.Float32, device: x.device);                          // (n)
        var angles = outer(positions, inverseFrequency);                                                                    // (n, hd/2)
        var cos = angles.cos().to(x.dtype);
        var sin = angles.sin().to(x.dtype);
        var x1 = x[.., .., .., ..(int)half];
        var x2 = x[.., .., .., (int)half..];
        var rotated = cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], -1);
        return rotated.MoveToOuterDisposeScope();
    }
}
