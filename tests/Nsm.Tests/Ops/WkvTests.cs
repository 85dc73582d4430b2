using static TorchSharp.torch;
using Nsm.Ops;
using Nsm.Tests.Support;

namespace Nsm.Tests.Ops;

public sealed class WkvTests : SingleThreadTest
{
    /// <summary>Inputs w (decay rate), u, k, v and an empty state for B = 2, C = 6.</summary>
    private static Tensor[] Inputs(long length, double keyScale = 1.0)
    {
        manual_seed(21);
        return [exp(randn(6)), randn(6), randn(2, length, 6) * keyScale, randn(2, length, 6)];
    }

    private static Tensor[] Recurrent(Tensor[] x)
    {
        var (y, (num, den, max)) = Wkv.Recurrent(x[0], x[1], x[2], x[3], Wkv.InitialState(2, 6, CPU));
        // The represented sums num e^max, den e^max are the state; max itself is a free scale.
        return [y, num * exp(max), den * exp(max)];
    }

    private static Func<Tensor[], Tensor[]> Chunked(long chunk) => x =>
    {
        var (y, (num, den, max)) = Wkv.Chunked(x[0], x[1], x[2], x[3], Wkv.InitialState(2, 6, CPU), chunk);
        return [y, num * exp(max), den * exp(max)];
    };

    [Theory]
    [InlineData(63, 16)]
    [InlineData(100, 32)]
    [InlineData(100, 7)]
    [InlineData(20, 1)]
    [InlineData(20, 64)]
    public void ChunkedAgreesWithRecurrentOnOutputsAndGradients(int length, int chunk)
    {
        GradientCheck.Agree(Recurrent, Chunked(chunk), Inputs(length), atol: 1e-5, rtol: 1e-4, what: $"WKV T={length} chunk={chunk}");
    }

    private static Tensor[] Fused(Tensor[] x)
    {
        var (y, (num, den, max)) = Wkv.Fused(x[0], x[1], x[2], x[3], Wkv.InitialState(2, 6, CPU));
        return [y, num * exp(max), den * exp(max)];
    }

    /// <summary>Inputs plus a carried state (num, den, max) as it is after some tokens, so its gradients count.</summary>
    private static Tensor[] WithState(Tensor[] x)
    {
        manual_seed(22);
        return [.. x, rand(2, 6) * 3, rand(2, 6) * 2 + 0.5, randn(2, 6)];
    }

    private static Tensor[] FromState(Tensor[] x, Func<Tensor, Tensor, Tensor, Tensor, (Tensor Num, Tensor Den, Tensor Max), (Tensor Y, (Tensor Num, Tensor Den, Tensor Max) State)> wkv)
    {
        var (y, (num, den, max)) = wkv(x[0], x[1], x[2], x[3], (x[4], x[5], x[6]));
        return [y, num * exp(max.detach()), den * exp(max.detach())];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(63)]
    [InlineData(100)]
    public void FusedAgreesWithRecurrentOnOutputsAndGradients(int length)
    {
        GradientCheck.Agree(Recurrent, Fused, Inputs(length), atol: 1e-5, rtol: 1e-4, what: $"fused WKV T={length}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(37)]
    public void FusedAgreesFromACarriedStateInFloat64WithAnyThreadCount(int length)
    {
        // The gradients of the carried num, den and max (the streaming case), in float64 so a wrong
        // term cannot hide in rounding; two workers must give the same sums over the batch.
        var x = WithState(Inputs(length)).Select(t => t.to(ScalarType.Float64)).ToArray();
        var previous = TorchSharp.torch.get_num_threads();
        try
        {
            foreach (var threads in new[] { 1, 2 })
            {
                TorchSharp.torch.set_num_threads(threads);
                GradientCheck.Agree(s => FromState(s, Wkv.Recurrent), s => FromState(s, Wkv.Fused), x, atol: 1e-10, rtol: 1e-9, what: $"fused WKV float64 T={length} threads={threads}");
            }
        }
        finally { TorchSharp.torch.set_num_threads(previous); }
    }

    [Fact]
    public void LargeKeysNeitherOverflowNorDisagree()
    {
        // exp(k) overflows float32 beyond k ~ 88; the max trick keeps both forms finite.
        var inputs = Inputs(40, keyScale: 60);
        using var scope = NewDisposeScope();
        var recurrent = Recurrent(inputs)[0];
        var chunked = Chunked(16)(inputs)[0];
        var fused = Fused(inputs)[0];
        Assert.True(recurrent.isfinite().all().item<bool>(), "recurrent WKV overflowed");
        TensorAssert.Close(recurrent, fused, atol: 1e-5, rtol: 1e-4, what: "fused WKV with large keys");
        TensorAssert.Close(recurrent, chunked, atol: 1e-5, rtol: 1e-4, what: "WKV with large keys");
    }

    [Fact]
    public void MatchesTheDefinitionInDoublePrecision()
    {
        // wkv_t = (sum_{i<t} e^{-(t-1-i)w + k_i} v_i + e^{u+k_t} v_t) / (same with v = 1), eq. 14-16 of the paper.
        var inputs = Inputs(7).Select(t => t.to(ScalarType.Float64)).ToArray();
        using var scope = NewDisposeScope();
        var (w, u, k, v) = (inputs[0], inputs[1], inputs[2], inputs[3]);
        var expected = zeros_like(k);
        for (var t = 0; t < 7; t++)
        {
            var num = exp(u + k[.., t]) * v[.., t];
            var den = exp(u + k[.., t]);
            for (var i = 0; i < t; i++)
            {
                var weight = exp(-(t - 1 - i) * w + k[.., i]);
                num += weight * v[.., i];
                den += weight;
            }
            expected[.., t] = num / den;
        }
        var state = Wkv.InitialState(2, 6, CPU);
        state = (state.Num.to(ScalarType.Float64), state.Den.to(ScalarType.Float64), state.Max.to(ScalarType.Float64));
        TensorAssert.Close(expected, Wkv.Recurrent(w, u, k, v, state).Y, atol: 1e-10, rtol: 1e-9, what: "recurrent WKV vs definition");
        TensorAssert.Close(expected, Wkv.Chunked(w, u, k, v, state, 3).Y, atol: 1e-10, rtol: 1e-9, what: "chunked WKV vs definition");
    }

    [Fact]
    public void CarriedStateContinuesTheSequence()
    {
        var x = Inputs(30);
        using var scope = NewDisposeScope();
        var (full, _) = Wkv.Chunked(x[0], x[1], x[2], x[3], Wkv.InitialState(2, 6, CPU), 8);
        var (first, state) = Wkv.Recurrent(x[0], x[1], x[2].narrow(1, 0, 11), x[3].narrow(1, 0, 11), Wkv.InitialState(2, 6, CPU));
        var (second, _) = Wkv.Chunked(x[0], x[1], x[2].narrow(1, 11, 19), x[3].narrow(1, 11, 19), state, 8);
        TensorAssert.Close(full, cat([first, second], 1), atol: 1e-5, what: "WKV split with a carried state");
    }
}
