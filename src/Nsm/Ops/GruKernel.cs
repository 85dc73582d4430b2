using System.Numerics;
using System.Runtime.InteropServices;

namespace Nsm.Ops;

/// <summary>
/// The recurrence of one GRU layer (PyTorch's equations, gate order r, z, n) as plain loops over
/// time, one pass per batch row: the rows are independent, so a worker owns whole rows and the
/// steps need no synchronisation, and a step is 3d dot products of length d (h W_hh^T) and d
/// element-wise gate updates in SIMD registers, where the tensor loop it replaces spent about
/// 20 µs a step on each of its dozen TorchSharp calls. See <see cref="GruRecurrenceFunction"/> for
/// the equations. Layouts (row-major): xp (B, T, 3d), h0 (B, d), W_hh (3d, d), b_hh (3d),
/// y (B, T, d), the saved gates (B, T, 4d) as [r | z | n | hp_n] per token.
/// </summary>
internal static class GruKernel
{
    /// <summary>Sizes: batch B, length T, hidden width d.</summary>
    public readonly record struct Dims(int Batch, int Length, int Hidden);

    /// <summary>Workers for a run: at most one per batch row.</summary>
    public static int Workers(Dims s, int threads) => Math.Clamp(threads, 1, Math.Max(1, s.Batch));

    /// <summary>
    /// y = (h_1 .. h_T) from xp and h0; gates (B, T, 4d) receives [r | z | n | hp_n] of every step
    /// unless it is empty (training keeps them for <see cref="Backward{T}"/>).
    /// </summary>
    public static void Forward<T>(Dims s, ReadOnlyMemory<T> xpMemory, ReadOnlyMemory<T> h0Memory, ReadOnlyMemory<T> whhMemory,
        ReadOnlyMemory<T> bhhMemory, Memory<T> yMemory, Memory<T> gatesMemory, int workers)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (length, d) = (s.Length, s.Hidden);
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, worker =>
        {
            ReadOnlySpan<T> xp = xpMemory.Span, h0 = h0Memory.Span, whh = whhMemory.Span, bhh = bhhMemory.Span;
            Span<T> y = yMemory.Span, gates = gatesMemory.Span;
            Span<T> hp = new T[3 * d];
            var (first, last) = VectorMath.Share(s.Batch, workers, worker);
            for (var b = first; b < last; b++)
            {
                for (var t = 0; t < length; t++)
                {
                    var token = b * length + t;
                    // h_{t-1}: h0's row, then the previous step's output row.
                    ReadOnlySpan<T> previous = t == 0 ? h0.Slice(b * d, d) : y.Slice(token * d - d, d);
                    MatVec(whh, 3 * d, d, previous, bhh, hp);
                    UpdateGates(d, xp.Slice(token * 3 * d, 3 * d), hp, previous, y.Slice(token * d, d),
                        gates.IsEmpty ? gates : gates.Slice(token * 4 * d, 4 * d));
                }
            }
        });
    }

    /// <summary>
    /// One step's gates, lane by lane: r, z = σ(xp_{r,z} + hp_{r,z}), n = tanh(xp_n + r hp_n),
    /// h = n + z (h_{t-1} - n), written to y (and [r | z | n | hp_n] to gates unless it is empty).
    /// xp and hp hold 3d entries, h, y d, gates 4d.
    /// </summary>
    private static void UpdateGates<T>(int d, ReadOnlySpan<T> xp, ReadOnlySpan<T> hp, ReadOnlySpan<T> h, Span<T> y, Span<T> gates)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var width = Vector<T>.Count;
        var keep = !gates.IsEmpty;
        var i = 0;
        for (; i + width <= d; i += width)
        {
            var r = Sigmoid(new Vector<T>(xp[i..]) + new Vector<T>(hp[i..]));
            var z = Sigmoid(new Vector<T>(xp[(d + i)..]) + new Vector<T>(hp[(d + i)..]));
            var hn = new Vector<T>(hp[(2 * d + i)..]);
            var n = Tanh(new Vector<T>(xp[(2 * d + i)..]) + r * hn);
            (n + z * (new Vector<T>(h[i..]) - n)).CopyTo(y[i..]);
            if (!keep) continue;
            r.CopyTo(gates[i..]);
            z.CopyTo(gates[(d + i)..]);
            n.CopyTo(gates[(2 * d + i)..]);
            hn.CopyTo(gates[(3 * d + i)..]);
        }
        for (; i < d; i++)
        {
            var r = Sigmoid(xp[i] + hp[i]);
            var z = Sigmoid(xp[d + i] + hp[d + i]);
            var hn = hp[2 * d + i];
            var n = T.Tanh(xp[2 * d + i] + r * hn);
            y[i] = n + z * (h[i] - n);
            if (!keep) continue;
            (gates[i], gates[d + i], gates[2 * d + i], gates[3 * d + i]) = (r, z, n, hn);
        }
    }

    /// <summary>
    /// Backpropagation through time from gy (B, T, d), the outputs y and the saved gates: the
    /// gradients of hp = h_{t-1} W_hh^T + b_hh and of xp at every step (B, T, 3d each) and of h0
    /// (B, d). With g = dL/dh_t and a = (1 - z)(1 - n²): d(xp_n) = g a, d(hp_n) = g a r,
    /// d(hp_r) = d(xp_r) = g a hp_n r (1 - r), d(hp_z) = d(xp_z) = g (h_{t-1} - n) z (1 - z), and
    /// dL/dh_{t-1} = gy_{t-1} + g z + d(hp) W_hh. W_hh's and b_hh's gradients are sums over the
    /// steps of ghp, which the caller forms in one matmul.
    /// </summary>
    public static void Backward<T>(Dims s, ReadOnlyMemory<T> h0Memory, ReadOnlyMemory<T> whhMemory, ReadOnlyMemory<T> yMemory,
        ReadOnlyMemory<T> gatesMemory, ReadOnlyMemory<T> gyMemory, Memory<T> ghpMemory, Memory<T> gxpMemory, Memory<T> gh0Memory, int workers)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (length, d) = (s.Length, s.Hidden);
        // ghp W_hh as d dot products of length 3d: the rows of W_hh^T (d, 3d).
        var whhT = new T[3 * d * d];
        var whhRows = whhMemory.Span;
        for (var j = 0; j < 3 * d; j++)
            for (var k = 0; k < d; k++) whhT[k * 3 * d + j] = whhRows[j * d + k];
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, worker =>
        {
            ReadOnlySpan<T> h0 = h0Memory.Span, y = yMemory.Span, gates = gatesMemory.Span, gy = gyMemory.Span;
            Span<T> ghp = ghpMemory.Span, gxp = gxpMemory.Span, gh0 = gh0Memory.Span;
            // carry: dL/dh_t from the steps after t.
            Span<T> g = new T[d], carry = new T[d], direct = new T[d];
            var (first, last) = VectorMath.Share(s.Batch, workers, worker);
            for (var b = first; b < last; b++)
            {
                carry.Clear();
                for (var t = length - 1; t >= 0; t--)
                {
                    var token = b * length + t;
                    ReadOnlySpan<T> previous = t > 0 ? y.Slice(token * d - d, d) : h0.Slice(b * d, d);
                    var gyt = gy.Slice(token * d, d);
                    for (var i = 0; i < d; i++) g[i] = gyt[i] + carry[i];
                    Span<T> ghpt = ghp.Slice(token * 3 * d, 3 * d), gxpt = gxp.Slice(token * 3 * d, 3 * d);
                    StepGradients(d, g, gates.Slice(token * 4 * d, 4 * d), previous, ghpt, gxpt, direct);
                    // carry = g z (the direct path, set above) + ghp W_hh.
                    MatVec(whhT, d, 3 * d, ghpt, direct, carry);
                }
                carry.CopyTo(gh0.Slice(b * d, d));
            }
        });
    }

    /// <summary>
    /// One step's ghp and gxp (3d each) from g (d) and the step's gates (4d), lane by lane; direct
    /// receives g z.
    /// </summary>
    private static void StepGradients<T>(int d, ReadOnlySpan<T> g, ReadOnlySpan<T> gates, ReadOnlySpan<T> h, Span<T> ghp, Span<T> gxp, Span<T> direct)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var width = Vector<T>.Count;
        var i = 0;
        for (; i + width <= d; i += width)
        {
            var gi = new Vector<T>(g[i..]);
            var (r, z) = (new Vector<T>(gates[i..]), new Vector<T>(gates[(d + i)..]));
            var (n, hn) = (new Vector<T>(gates[(2 * d + i)..]), new Vector<T>(gates[(3 * d + i)..]));
            var ga = gi * (Vector<T>.One - z) * (Vector<T>.One - n * n);
            var dr = ga * hn * r * (Vector<T>.One - r);
            var dz = gi * (new Vector<T>(h[i..]) - n) * z * (Vector<T>.One - z);
            dr.CopyTo(ghp[i..]);
            dz.CopyTo(ghp[(d + i)..]);
            (ga * r).CopyTo(ghp[(2 * d + i)..]);
            dr.CopyTo(gxp[i..]);
            dz.CopyTo(gxp[(d + i)..]);
            ga.CopyTo(gxp[(2 * d + i)..]);
            (gi * z).CopyTo(direct[i..]);
        }
        for (; i < d; i++)
        {
            var (r, z, n, hn) = (gates[i], gates[d + i], gates[2 * d + i], gates[3 * d + i]);
            var ga = g[i] * (T.One - z) * (T.One - n * n);
            var dr = ga * hn * r * (T.One - r);
            var dz = g[i] * (h[i] - n) * z * (T.One - z);
            (ghp[i], ghp[d + i], ghp[2 * d + i]) = (dr, dz, ga * r);
            (gxp[i], gxp[d + i], gxp[2 * d + i]) = (dr, dz, ga);
            direct[i] = g[i] * z;
        }
    }

    /// <summary>
    /// y[j] = bias[j] + Σ_k m[j, k] x[k] for the rows j of m (rows, cols), row-major.
    /// Four rows at a time share each load of x; the loads skip bounds checks (every index is
    /// below rows · cols, or cols, checked on entry).
    /// </summary>
    private static void MatVec<T>(ReadOnlySpan<T> m, int rows, int cols, ReadOnlySpan<T> x, ReadOnlySpan<T> bias, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // The unchecked loads below stay inside m and x only if these hold.
        if (m.Length < rows * cols || x.Length < cols || y.Length < rows || bias.Length < rows)
            throw new ArgumentException($"MatVec: ({rows}, {cols}) does not fit the spans given");
        var width = Vector<T>.Count;
        var vectorCols = cols - cols % width;
        ref var mr = ref MemoryMarshal.GetReference(m);
        ref var xr = ref MemoryMarshal.GetReference(x);
        var j = 0;
        for (; j + 4 <= rows; j += 4)
        {
            var (o0, o1, o2, o3) = ((nuint)(j * cols), (nuint)((j + 1) * cols), (nuint)((j + 2) * cols), (nuint)((j + 3) * cols));
            var (a0, a1, a2, a3) = (Vector<T>.Zero, Vector<T>.Zero, Vector<T>.Zero, Vector<T>.Zero);
            for (var k = 0; k < vectorCols; k += width)
            {
                var xv = Vector.LoadUnsafe(ref xr, (nuint)k);
                a0 += Vector.LoadUnsafe(ref mr, o0 + (nuint)k) * xv;
                a1 += Vector.LoadUnsafe(ref mr, o1 + (nuint)k) * xv;
                a2 += Vector.LoadUnsafe(ref mr, o2 + (nuint)k) * xv;
                a3 += Vector.LoadUnsafe(ref mr, o3 + (nuint)k) * xv;
            }
            var (s0, s1, s2, s3) = (Vector.Sum(a0), Vector.Sum(a1), Vector.Sum(a2), Vector.Sum(a3));
            for (var k = vectorCols; k < cols; k++)
            {
                var xk = x[k];
                (s0, s1, s2, s3) = (s0 + m[(int)o0 + k] * xk, s1 + m[(int)o1 + k] * xk, s2 + m[(int)o2 + k] * xk, s3 + m[(int)o3 + k] * xk);
            }
            (y[j], y[j + 1], y[j + 2], y[j + 3]) = (bias[j] + s0, bias[j + 1] + s1, bias[j + 2] + s2, bias[j + 3] + s3);
        }
        for (; j < rows; j++)
        {
            var acc = Vector<T>.Zero;
            var o = (nuint)(j * cols);
            for (var k = 0; k < vectorCols; k += width) acc += Vector.LoadUnsafe(ref mr, o + (nuint)k) * Vector.LoadUnsafe(ref xr, (nuint)k);
            var sum = Vector.Sum(acc);
            for (var k = vectorCols; k < cols; k++) sum += m[(int)o + k] * x[k];
            y[j] = bias[j] + sum;
        }
    }

    private static Vector<T> Sigmoid<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        Vector<T>.One / (Vector<T>.One + VectorMath.Exp(-x));

    private static T Sigmoid<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => T.One / (T.One + T.Exp(-x));

    /// <summary>tanh x = 2 σ(2x) - 1 (absolute error of σ's, ample next to float32's tolerance).</summary>
    private static Vector<T> Tanh<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var two = Vector<T>.One + Vector<T>.One;
        return two * Sigmoid(two * x) - Vector<T>.One;
    }
}
