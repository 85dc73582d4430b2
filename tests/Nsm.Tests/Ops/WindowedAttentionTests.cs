using static TorchSharp.torch;
using Nsm.Ops;
using Nsm.Tests.Support;

namespace Nsm.Tests.Ops;

/// <summary>The windowed local attention against dense attention over the whole key sequence with an explicit mask.</summary>
public sealed class WindowedAttentionTests
{
    [Theory]
    [InlineData(4, 4, 0, true)]     // w = c, the design default
    [InlineData(4, 11, 0, true)]    // w > c, not a multiple of c
    [InlineData(8, 3, 0, true)]     // w < c
    [InlineData(4, 4, 4, false)]    // bidirectional, as the non-causal layer calls it
    [InlineData(5, 3, 3, false)]
    [InlineData(3, 7, 7, false)]
    public void WindowedAttentionMatchesMaskedDenseAttention(long c, long before, long after, bool causal)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var (b, h, groups, hd) = (2L, 2L, 5L, 4L);
        var total = before + groups * c + after;
        var queries = randn([b, h, groups, c, hd]);
        var keys = randn([b, h, total, hd]);
        var values = randn([b, h, total, hd]);
        // Filler keys before and after the sequence are invalid, and so are a few random ones,
        // but never the first key of a chunk, so every query has at least one key.
        var keyValid = rand([b, total]).gt(0.3);
        keyValid.narrow(1, 0, before).fill_(false);
        keyValid.narrow(1, before + groups * c, after).fill_(false);
        keyValid.index_fill_(1, arange(before, before + groups * c, c), true);

        var (fastOut, fastLse) = WindowedAttention.Attend(queries, keys, values, keyValid, before, after, causal);

        // Dense reference: query (g, j) at key index before + g·c + j sees keys g·c .. before + g·c + j
        // (causal) or g·c .. g·c + before + c + after - 1 (bidirectional), when valid.
        var queryIndex = arange(groups * c).unsqueeze(1);                         // (G·c, 1)
        var keyIndex = arange(total).unsqueeze(0);                                // (1, T)
        var chunkStart = queryIndex.div(c, rounding_mode: RoundingMode.floor) * c;
        var last = causal ? queryIndex + before : chunkStart + before + c + after - 1;
        var allowed = keyIndex.ge(chunkStart).logical_and(keyIndex.le(last)).unsqueeze(0).logical_and(keyValid.unsqueeze(1)); // (B, G·c, T)
        var logits = queries.view(b, h, groups * c, hd).matmul(keys.transpose(-1, -2)) / Math.Sqrt(hd);
        logits = logits.masked_fill(allowed.unsqueeze(1).logical_not(), float.NegativeInfinity);
        var expectedLse = logits.logsumexp(-1).view(b, h, groups, c);
        var expectedOut = logits.softmax(-1).matmul(values).view(b, h, groups, c, hd);

        TensorAssert.Close(expectedOut, fastOut, atol: 1e-5, what: "outputs");
        TensorAssert.Close(expectedLse, fastLse, atol: 1e-5, what: "log-normalisers");
    }
}
