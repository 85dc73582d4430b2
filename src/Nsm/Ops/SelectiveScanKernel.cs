using System.Numerics;

namespace Nsm.Ops;

/// <summary>
/// The selective scan as plain loops over the sequence, one pass per (batch, block of channels) with
/// the block's N states in registers-sized buffers, the way the fused CUDA kernel of mamba_ssm keeps
/// them in SRAM: nothing of size (B, L, D, N) is ever allocated. A block is one SIMD vector of
/// channels (<see cref="Vector{T}.Count"/>: 8 float32 with AVX2), so the channels of a block advance
/// together and exp runs on whole vectors. The backward pass recomputes the block's states (as the
/// CUDA kernel does) and runs the recurrence of the gradients right to left. Blocks are split over
/// <c>workers</c> threads, and read and write the memory given (arrays, or tensors' own memory
/// through <see cref="TensorMemory{T}"/>). Layouts (row-major; D padded to a multiple of the vector width, padding
/// channels have delta = 0 and stay zero): u, delta, y and their gradients (B, L, D); a (N, D);
/// bm, cm (B, L, N); h0, hLast (B, N, D).
/// </summary>
internal static class SelectiveScanKernel
{
    /// <summary>Sizes: batch B, length L, channels D (a multiple of the vector width), state N.</summary>
    public readonly record struct Dims(int Batch, int Length, int Channels, int State)
    {
        public static int Width<T>() where T : unmanaged => Vector<T>.Count;
        public int Blocks<T>() where T : unmanaged => Batch * (Channels / Vector<T>.Count);
    }

    /// <summary>y_t = C_t . h_t with h_t = exp(delta_t a) h_{t-1} + delta_t u_t B_t, from h0; writes y and hLast.</summary>
    public static void Forward<T>(Dims s, ReadOnlyMemory<T> uMemory, ReadOnlyMemory<T> deltaMemory, ReadOnlyMemory<T> aMemory,
        ReadOnlyMemory<T> bmMemory, ReadOnlyMemory<T> cmMemory, ReadOnlyMemory<T> h0Memory, Memory<T> yMemory, Memory<T> hLastMemory, int workers)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (length, channels, n, width) = (s.Length, s.Channels, s.State, Vector<T>.Count);
        var perBatch = channels / width;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            ReadOnlySpan<T> u = uMemory.Span, delta = deltaMemory.Span, a = aMemory.Span, bm = bmMemory.Span, cm = cmMemory.Span, h0 = h0Memory.Span;
            Span<T> y = yMemory.Span, hLast = hLastMemory.Span;
            var h = new Vector<T>[n];
            var av = new Vector<T>[n];
            var (first, last) = VectorMath.Share(s.Blocks<T>(), workers, w);
            for (var block = first; block < last; block++)
            {
                var (b, j) = Math.DivRem(block, perBatch);
                var c0 = j * width;
                for (var k = 0; k < n; k++)
                {
                    av[k] = new Vector<T>(a[(k * channels + c0)..]);
                    h[k] = new Vector<T>(h0[((b * n + k) * channels + c0)..]);
                }
                for (var t = 0; t < length; t++)
                {
                    var io = (b * length + t) * channels + c0;
                    var bc = (b * length + t) * n;
                    var dt = new Vector<T>(delta[io..]);
                    var x = dt * new Vector<T>(u[io..]);
                    var acc = Vector<T>.Zero;
                    for (var k = 0; k < n; k++)
                    {
                        h[k] = VectorMath.Exp(dt * av[k]) * h[k] + x * bm[bc + k];
                        acc += h[k] * cm[bc + k];
                    }
                    acc.CopyTo(y[io..]);
                }
                for (var k = 0; k < n; k++) h[k].CopyTo(hLast[((b * n + k) * channels + c0)..]);
            }
        });
    }

    /// <summary>
    /// Gradients of every input from gy (B, L, D) and gLast (B, N, D). With g the gradient of the
    /// state after step t (g_{L-1} = gLast + gy C): gu = delta (g . B), gdelta = u (g . B) +
    /// sum_n g a exp(delta a) h_{t-1}, gB += delta u g, gC += gy h_t, ga += g delta exp(delta a) h_{t-1},
    /// then g_{t-1} = exp(delta_t a) g + gy_{t-1} C_{t-1}; gh0 is the last g.
    /// </summary>
    public static void Backward<T>(Dims s, ReadOnlyMemory<T> uMemory, ReadOnlyMemory<T> deltaMemory, ReadOnlyMemory<T> aMemory,
        ReadOnlyMemory<T> bmMemory, ReadOnlyMemory<T> cmMemory, ReadOnlyMemory<T> h0Memory, ReadOnlyMemory<T> gyMemory, ReadOnlyMemory<T> gLastMemory,
        Memory<T> guMemory, Memory<T> gdeltaMemory, Memory<T> gaMemory, Memory<T> gbmMemory, Memory<T> gcmMemory, Memory<T> gh0Memory, int workers)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (length, channels, n, width) = (s.Length, s.Channels, s.State, Vector<T>.Count);
        var perBatch = channels / width;
        // gB and gC sum over channels, ga over the batch: one partial sum per worker, added at the end.
        var partialB = new T[workers][];
        var partialC = new T[workers][];
        var partialA = new T[workers][];
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            ReadOnlySpan<T> u = uMemory.Span, delta = deltaMemory.Span, a = aMemory.Span, bm = bmMemory.Span, cm = cmMemory.Span, h0 = h0Memory.Span;
            ReadOnlySpan<T> gy = gyMemory.Span, gLast = gLastMemory.Span;
            Span<T> gu = guMemory.Span, gdelta = gdeltaMemory.Span, gh0 = gh0Memory.Span;
            var (gbw, gcw, gaw) = (new T[bmMemory.Length], new T[cmMemory.Length], new T[aMemory.Length]);
            (partialB[w], partialC[w], partialA[w]) = (gbw, gcw, gaw);
            var states = new Vector<T>[(long)length * n];
            var decays = new Vector<T>[(long)length * n];
            var av = new Vector<T>[n];
            var initial = new Vector<T>[n];
            var g = new Vector<T>[n];
            var gav = new Vector<T>[n];
            var (first, last) = VectorMath.Share(s.Blocks<T>(), workers, w);
            for (var block = first; block < last; block++)
            {
                var (b, j) = Math.DivRem(block, perBatch);
                var c0 = j * width;
                for (var k = 0; k < n; k++)
                {
                    av[k] = new Vector<T>(a[(k * channels + c0)..]);
                    initial[k] = new Vector<T>(h0[((b * n + k) * channels + c0)..]);
                    g[k] = new Vector<T>(gLast[((b * n + k) * channels + c0)..]);
                    gav[k] = Vector<T>.Zero;
                }

                // Recompute the states h_t and the decays exp(delta_t a) of this block.
                for (var t = 0; t < length; t++)
                {
                    var io = (b * length + t) * channels + c0;
                    var bc = (b * length + t) * n;
                    var dt = new Vector<T>(delta[io..]);
                    var x = dt * new Vector<T>(u[io..]);
                    for (var k = 0; k < n; k++)
                    {
                        var decay = VectorMath.Exp(dt * av[k]);
                        decays[t * n + k] = decay;
                        states[t * n + k] = decay * (t > 0 ? states[(t - 1) * n + k] : initial[k]) + x * bm[bc + k];
                    }
                }

                for (var t = length - 1; t >= 0; t--)
                {
                    var io = (b * length + t) * channels + c0;
                    var bc = (b * length + t) * n;
                    var (dt, ut, gyt) = (new Vector<T>(delta[io..]), new Vector<T>(u[io..]), new Vector<T>(gy[io..]));
                    var x = dt * ut;
                    var (gx, gdt) = (Vector<T>.Zero, Vector<T>.Zero);
                    for (var k = 0; k < n; k++)
                    {
                        var gk = g[k] + gyt * cm[bc + k];                    // gradient of h_t
                        var previous = t > 0 ? states[(t - 1) * n + k] : initial[k];
                        var decay = decays[t * n + k];
                        var gDecay = gk * previous * decay;                   // times d decay / d(delta a)
                        gcw[bc + k] += Vector.Sum(gyt * states[t * n + k]);
                        gbw[bc + k] += Vector.Sum(gk * x);
                        gx += gk * bm[bc + k];
                        gdt += gDecay * av[k];
                        gav[k] += gDecay * dt;
                        g[k] = gk * decay;                                    // gradient of h_{t-1} through the recurrence
                    }
                    (gx * dt).CopyTo(gu[io..]);
                    (gdt + gx * ut).CopyTo(gdelta[io..]);
                }
                for (var k = 0; k < n; k++)
                {
                    g[k].CopyTo(gh0[((b * n + k) * channels + c0)..]);
                    var ao = k * channels + c0;
                    (new Vector<T>(gaw, ao) + gav[k]).CopyTo(gaw, ao);
                }
            }
        });
        VectorMath.Sum(partialB, gbmMemory.Span);
        VectorMath.Sum(partialC, gcmMemory.Span);
        VectorMath.Sum(partialA, gaMemory.Span);
    }

}
