using static TorchSharp.torch;
using Nsm.Ops;
using Nsm.Tests.Support;

namespace Nsm.Tests.Ops;

/// <summary>
/// <see cref="WindowedAttention"/> (chunk grid, shifted window slices, fused softmax) against
/// <see cref="WindowedAttentionReference"/> (dense attention with each query's visible keys
/// listed), on outputs, log-normalisers and the gradients of queries, keys and values.
/// </summary>
public sealed class WindowedAttentionReferenceTests : SingleThreadTest
{
    [Theory]
    [InlineData(1, 4, 4, true)]
    [InlineData(7, 4, 4, true)]
    [InlineData(63, 4, 4, true)]
    [InlineData(100, 4, 4, true)]
    [InlineData(63, 8, 3, true)]      // w < c
    [InlineData(100, 4, 11, true)]    // w > c, not a multiple of c
    [InlineData(1, 4, 4, false)]
    [InlineData(7, 4, 4, false)]
    [InlineData(63, 5, 3, false)]
    [InlineData(100, 3, 7, false)]
    public void FastAgreesWithReferenceOnOutputsAndGradients(long n, long c, long w, bool causal)
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var (b, h, hd) = (2L, 2L, 4L);
        // Random padding, but the first key of every chunk is real, so every query sees one.
        var valid = rand(b, n).gt(0.3);
        valid.index_fill_(1, arange(0, n, c), true);
        var inputs = new[] { randn(b, h, n, hd), randn(b, h, n, hd), randn(b, h, n, hd), valid };
        GradientCheck.Agree(
            x => { var (o, l) = WindowedAttentionReference.Attend(x[0], x[1], x[2], x[3], c, w, causal); return [o, l]; },
            x => Fast(x, c, w, causal), inputs, atol: 2e-5, rtol: 1e-3, what: $"window N={n} c={c} w={w} causal={causal}");
    }

    /// <summary>The fast op on the flat sequence, laid onto the chunk grid as <c>LocalAttention</c> lays it.</summary>
    private static Tensor[] Fast(Tensor[] x, long c, long w, bool causal)
    {
        var (b, h, n, hd) = (x[0].shape[0], x[0].shape[1], x[0].shape[2], x[0].shape[3]);
        var groups = (n + c - 1) / c;
        var tail = groups * c - n;
        var after = causal ? 0 : w;
        var queries = nn.functional.pad(x[0], [0, 0, 0, tail]).view(b, h, groups, c, hd);   // (B, h, G, c, hd)
        var keys = nn.functional.pad(x[1], [0, 0, w, tail + after]);                           // (B, h, w + G·c + after, hd)
        var values = nn.functional.pad(x[2], [0, 0, w, tail + after]);
        var keyValid = cat([zeros([b, w], ScalarType.Bool), x[3], zeros([b, tail + after], ScalarType.Bool)], 1);
        var (o, l) = WindowedAttention.Attend(queries, keys, values, keyValid, w, after, causal);
        return [o.view(b, h, groups * c, hd).narrow(2, 0, n), l.view(b, h, groups * c).narrow(2, 0, n)];
    }
}
