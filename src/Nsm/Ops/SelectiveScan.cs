using TorchSharp;
using static TorchSharp.torch;

namespace Nsm.Ops;

/// <summary>
/// Mamba's selective scan (Gu &amp; Dao 2023, Algorithm 2) with zero-order-hold discretisation of A
/// and the simplified (Euler) discretisation of B used by the reference code:
///   h_t = exp(delta_t A) * h_{t-1} + delta_t B_t u_t,   y_t = C_t . h_t
/// per channel d (D channels) with state size N. The skip term D u and the gate are applied by the
/// caller. Shapes: u, delta (B, L, D); A (D, N) (negative); Bm, Cm (B, L, N); h (B, D, N).
/// Three forms that agree on outputs and gradients: <see cref="Reference"/> (one step per token:
/// the streaming step and the reference), <see cref="Fused"/> (CPU training: a loop per channel
/// with its own backward, O(B L D) memory) and <see cref="Chunked"/> (tensor operations, any device).
/// </summary>
public static class SelectiveScan
{
    /// <summary>Step-by-step recurrence. Returns y (B, L, D) and the state after the L steps.</summary>
    public static (Tensor Y, Tensor State) Reference(Tensor u, Tensor delta, Tensor a, Tensor bm, Tensor cm, Tensor h)
    {
        using var scope = NewDisposeScope();
        // unbind, not select: the backward of one unbind is one stack, while every select's
        // backward writes a zero tensor of the full input size.
        var (deltas, inputs, bs, cs) = (delta.unbind(1), u.unbind(1), bm.unbind(1), cm.unbind(1));
        var outputs = new List<Tensor>();
        for (var t = 0; t < deltas.Length; t++)
        {
            var dt = deltas[t];                                                         // (B, D)
            var decay = exp(dt.unsqueeze(-1) * a);                                      // (B, D, N)
            var input = (dt * inputs[t]).unsqueeze(-1) * bs[t].unsqueeze(1);            // (B, D, N)
            h = decay * h + input;
            outputs.Add(matmul(h, cs[t].unsqueeze(-1)).squeeze(-1));                   // (B, D)
        }
        return (stack(outputs, 1).MoveToOuterDisposeScope(), h.MoveToOuterDisposeScope());
    }

    /// <summary>Whether <see cref="Fused"/> takes these tensors: on the CPU, float32 or float64.</summary>
    public static bool FusedSupports(Tensor u) => HostArrays.Supported(u);

    /// <summary>
    /// The scan as one loop per (batch, channel) over the sequence, with a hand-written backward
    /// that recomputes the states (<see cref="SelectiveScanKernel"/>): no (B, L, D, N) tensor is kept
    /// or allocated. CPU, float32 or float64 (<see cref="FusedSupports"/>). Same arguments and
    /// results as <see cref="Reference"/>.
    /// </summary>
    public static (Tensor Y, Tensor State) Fused(Tensor u, Tensor delta, Tensor a, Tensor bm, Tensor cm, Tensor h)
    {
        if (!FusedSupports(u)) throw new ArgumentException($"the fused scan runs on CPU float32/float64 tensors, not {u.device_type} {u.dtype}", nameof(u));
        var dtype = u.dtype;
        var outputs = SelectiveScanFunction.apply(u, delta.to(dtype), a.to(dtype), bm.to(dtype), cm.to(dtype), h.to(dtype));
        return (outputs[0], outputs[1]);
    }

    /// <summary>
    /// Two-level chunked scan. The sequence is cut into K chunks of c steps. (1) All chunks run
    /// their local scan from a zero state at once: c sequential steps on (B, K, D, N). (2) The
    /// chunk-end states are chained across chunks: K sequential steps on (B, D, N). (3) Each local
    /// state gets the carried state times the chunk's cumulative decay, in one batched product.
    /// c + K sequential steps instead of L (c ~ sqrt(L) gives 2 sqrt(L)), and every factor is a
    /// product of decays in (0, 1], so nothing can overflow. Same arguments and results as
    /// <see cref="Reference"/>.
    /// </summary>
    public static (Tensor Y, Tensor State) Chunked(Tensor u, Tensor delta, Tensor a, Tensor bm, Tensor cm, Tensor h, long chunk)
    {
        if (chunk < 1) throw new ArgumentOutOfRangeException(nameof(chunk), "chunk length must be positive");
        using var scope = NewDisposeScope();
        var (batch, length, channels) = (u.shape[0], u.shape[1], u.shape[2]);
        var n = a.shape[1];
        var c = Math.Min(chunk, length);
        var k = (length + c - 1) / c;
        var padded = k * c;
        if (padded != length)
        {
            // Trailing steps with delta = 0 are identities (decay 1, input 0): outputs before them
            // and the final state are unchanged.
            var pad = padded - length;
            u = nn.functional.pad(u, [0, 0, 0, pad]);
            delta = nn.functional.pad(delta, [0, 0, 0, pad]);
            bm = nn.functional.pad(bm, [0, 0, 0, pad]);
            cm = nn.functional.pad(cm, [0, 0, 0, pad]);
        }
        var logDecay = delta.unsqueeze(-1) * a;                                         // (B, L', D, N), <= 0
        var input = (delta * u).unsqueeze(-1) * bm.unsqueeze(2);                         // (B, L', D, N)
        logDecay = logDecay.view(batch, k, c, channels, n);                              // (B, K, c, D, N)
        input = input.view(batch, k, c, channels, n);

        // (1) Local scans of all chunks at once, from zero. (unbind, not select: see Reference.)
        var decays = exp(logDecay).unbind(2);                                            // c x (B, K, D, N)
        var inputs = input.unbind(2);
        var local = new List<Tensor> { inputs[0] };
        for (var j = 1; j < c; j++) local.Add(decays[j] * local[j - 1] + inputs[j]);
        var localStates = stack(local, 2);                                               // (B, K, c, D, N)
        var cumulative = exp(logDecay.cumsum(2));                                        // decay from chunk start through step j

        // (2) The state entering each chunk.
        var chunkDecays = cumulative.select(2, c - 1).unbind(1);                         // K x (B, D, N)
        var chunkEnds = local[(int)c - 1].unbind(1);
        var entering = new List<Tensor>();
        for (var i = 0; i < k; i++)
        {
            entering.Add(h);
            h = chunkDecays[i] * h + chunkEnds[i];
        }
        var carried = stack(entering, 1);                                                // (B, K, D, N)

        // (3) Full states and outputs.
        var states = localStates + cumulative * carried.unsqueeze(2);                    // (B, K, c, D, N)
        var y = matmul(states, cm.view(batch, k, c, n, 1)).squeeze(-1);                  // (B, K, c, D)
        y = y.view(batch, padded, channels).narrow(1, 0, length);                        // (B, L, D)
        return (y.MoveToOuterDisposeScope(), h.MoveToOuterDisposeScope());
    }
}
