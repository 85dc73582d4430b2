using TorchSharp;
using static TorchSharp.torch;

namespace Nsm.Ops;

/// <summary>
/// RWKV-4's WKV operator (Peng et al. 2023, eq. 14-16), per channel c:
///   wkv_t = (sum_{i&lt;t} e^{-(t-1-i) w + k_i} v_i + e^{u + k_t} v_t) / (same sums with v = 1),
/// with decay rate w = exp(time_decay) &gt; 0 and bonus u = time_first.
/// The running sums are kept as (num, den, max) with num = a e^max, den = b e^max so that no
/// exponential overflows (the "max trick" of the official CUDA kernel).
/// Three forms that agree on outputs and gradients: <see cref="Recurrent"/> (the RNN form, one
/// token at a time, used for streaming single tokens and as the reference), <see cref="Fused"/>
/// (CPU training: a loop per channel with its own backward, O(B T C) memory) and
/// <see cref="Chunked"/> (parallel inside chunks of c tokens, recurrent across chunks; any device).
/// </summary>
public static class Wkv
{
    /// <summary>Log of the "empty" running max; as the official kernel's MIN_VALUE, exp(it - anything finite) is 0.</summary>
    public const float EmptyMax = -1e38f;

    /// <summary>The state before any token: num = den = 0, max = -1e38. Each (B, C).</summary>
    public static (Tensor Num, Tensor Den, Tensor Max) InitialState(long batch, long channels, Device device) =>
        (zeros(batch, channels, device: device), zeros(batch, channels, device: device), full(batch, channels, EmptyMax, device: device));

    /// <summary>
    /// Token-by-token recurrence. w, u: (C); k, v: (B, T, C); state: three (B, C) tensors.
    /// Returns wkv (B, T, C) and the state after the T tokens.
    /// </summary>
    public static (Tensor Y, (Tensor Num, Tensor Den, Tensor Max) State) Recurrent(
        Tensor w, Tensor u, Tensor k, Tensor v, (Tensor Num, Tensor Den, Tensor Max) state)
    {
        using var scope = NewDisposeScope();
        var (a, b, p) = state;
        // unbind, not select: one stack in the backward instead of a full-size zero tensor per step.
        var (keys, values) = (k.unbind(1), v.unbind(1));
        var outputs = new List<Tensor>();
        for (var t = 0; t < keys.Length; t++)
        {
            var kt = keys[t];                                          // (B, C)
            var vt = values[t];
            // The max only rescales; the represented sums do not depend on it, so it carries no
            // gradient (detaching it gives the exact gradient and avoids max's subgradient).
            var ww = u + kt;
            var q = maximum(p, ww).detach();
            var e1 = exp(p - q);
            var e2 = exp(ww - q);
            outputs.Add((e1 * a + e2 * vt) / (e1 * b + e2));
            // Decay the sums by one step, then add token t.
            var decayed = p - w;
            q = maximum(decayed, kt).detach();
            e1 = exp(decayed - q);
            e2 = exp(kt - q);
            a = e1 * a + e2 * vt;
            b = e1 * b + e2;
            p = q;
        }
        var y = stack(outputs, 1);                                     // (B, T, C)
        return (y.MoveToOuterDisposeScope(), (a.MoveToOuterDisposeScope(), b.MoveToOuterDisposeScope(), p.MoveToOuterDisposeScope()));
    }

    /// <summary>Whether <see cref="Fused"/> takes these tensors: on the CPU, float32 or float64.</summary>
    public static bool FusedSupports(Tensor k) => HostArrays.Supported(k);

    /// <summary>
    /// The recurrence as one loop per (batch, channel) over the sequence with a hand-written
    /// backward that recomputes the states (<see cref="WkvKernel"/>): memory O(B T C), where the
    /// chunked form's graph holds (B, T, c, C) weights. CPU, float32 or float64. Same arguments
    /// and results as <see cref="Recurrent"/>.
    /// </summary>
    public static (Tensor Y, (Tensor Num, Tensor Den, Tensor Max) State) Fused(
        Tensor w, Tensor u, Tensor k, Tensor v, (Tensor Num, Tensor Den, Tensor Max) state)
    {
        if (!FusedSupports(k)) throw new ArgumentException($"the fused WKV runs on CPU float32/float64 tensors, not {k.device_type} {k.dtype}", nameof(k));
        var dtype = k.dtype;
        var outputs = WkvFunction.apply(w.to(dtype), u.to(dtype), k, v.to(dtype), state.Num.to(dtype), state.Den.to(dtype), state.Max.to(dtype));
        return (outputs[0], (outputs[1], outputs[2], outputs[3]));
    }

    /// <summary>
    /// Chunked form: inside a chunk of c tokens every output is one max-shifted weighted sum over
    /// the chunk's earlier tokens plus the decayed carried state, O(c^2 C) per chunk; the state
    /// is carried from chunk to chunk. Same arguments and results as <see cref="Recurrent"/>.
    /// </summary>
    public static (Tensor Y, (Tensor Num, Tensor Den, Tensor Max) State) Chunked(
        Tensor w, Tensor u, Tensor k, Tensor v, (Tensor Num, Tensor Den, Tensor Max) state, long chunk)
    {
        if (chunk < 1) throw new ArgumentOutOfRangeException(nameof(chunk), "chunk length must be positive");
        using var scope = NewDisposeScope();
        var (a, b, p) = state;
        // split, not narrow per chunk: one cat in the backward instead of a full-size tensor per chunk.
        var (keyChunks, valueChunks) = (k.split(chunk, 1), v.split(chunk, 1));
        var outputs = new List<Tensor>();
        for (var i = 0; i < keyChunks.Length; i++)
        {
            var kc = keyChunks[i];                                     // (B, c, C)
            var vc = valueChunks[i];
            var c = kc.shape[1];
            var steps = arange(c, dtype: ScalarType.Float32, device: k.device);        // j = 0..c-1

            // Logit of token m for the output at j: k_m - (j-1-m) w for m < j, u + k_j for m = j.
            var lag = (steps.unsqueeze(1) - steps.unsqueeze(0) - 1).unsqueeze(-1);      // (c_j, c_m, 1): j-1-m
            var past = (lag >= 0).expand(-1, -1, w.shape[0]);                           // (c, c, C): m < j
            var diagonal = eye(c, dtype: ScalarType.Bool, device: k.device).unsqueeze(-1).expand(-1, -1, w.shape[0]);
            var bias = where(past, -lag * w, where(diagonal, u.expand(c, c, -1), full(c, c, w.shape[0], float.NegativeInfinity, device: k.device)));
            var logits = kc.unsqueeze(1) + bias;                                         // (B, c_j, c_m, C)
            // The carried sums, decayed j steps, enter output j with log-scale max - j w.
            var carried = p.unsqueeze(1) - steps.view(1, -1, 1) * w;                     // (B, c, C)

            var q = maximum(carried, logits.amax(2)).detach();                           // (B, c, C)
            var weights = exp(logits - q.unsqueeze(2));                                   // (B, c, c, C)
            var carriedWeight = exp(carried - q);                                         // (B, c, C)
            var num = carriedWeight * a.unsqueeze(1) + (weights * vc.unsqueeze(1)).sum(2);
            var den = carriedWeight * b.unsqueeze(1) + weights.sum(2);
            outputs.Add(num / den);

            // State after the chunk: old sums decayed c steps plus each token decayed (c-1-m) steps.
            var endLogits = kc - (c - 1 - steps).view(1, -1, 1) * w;                    // (B, c, C)
            var endCarried = p - c * w;                                                   // (B, C)
            var q2 = maximum(endCarried, endLogits.amax(1)).detach();                    // (B, C)
            var endWeights = exp(endLogits - q2.unsqueeze(1));
            var endCarriedWeight = exp(endCarried - q2);
            a = endCarriedWeight * a + (endWeights * vc).sum(1);
            b = endCarriedWeight * b + endWeights.sum(1);
            p = q2;
        }
        var y = cat(outputs, 1);                                                          // (B, T, C)
        return (y.MoveToOuterDisposeScope(), (a.MoveToOuterDisposeScope(), b.MoveToOuterDisposeScope(), p.MoveToOuterDisposeScope()));
    }
}
