using System.Buffers;
using System.Numerics;

namespace Nsm.Ops;

/// <summary>
/// RWKV-4's WKV as plain loops over the sequence, one pass per (batch, block of channels) with the
/// running (num, den, max) of the block in registers, as the official CUDA kernel (wkv_cuda.cu)
/// keeps one channel per thread: nothing of size (B, T, T) or (B, T, c, C) is allocated. A block is
/// one SIMD vector of channels. The backward recomputes the states and runs the gradient recurrence
/// right to left in the same max-shifted scale, so no exponential of a key can overflow.
/// Layouts (row-major; C padded to a multiple of the vector width, padding channels stay finite and
/// are dropped by the caller): w, u (C); k, v, y and their gradients (B, T, C); states (B, C).
/// </summary>
internal static class WkvKernel
{
    /// <summary>Sizes: batch B, length T, channels C (a multiple of the vector width).</summary>
    public readonly record struct Dims(int Batch, int Length, int Channels)
    {
        public int Blocks<T>() where T : unmanaged => Batch * (Channels / Vector<T>.Count);
    }

    /// <summary>y and the state after T tokens (a, b, p: num = a e^p, den = b e^p) from (a0, b0, p0).</summary>
    public static void Forward<T>(Dims s, ReadOnlyMemory<T> wMemory, ReadOnlyMemory<T> uMemory, ReadOnlyMemory<T> kMemory, ReadOnlyMemory<T> vMemory,
        ReadOnlyMemory<T> a0Memory, ReadOnlyMemory<T> b0Memory, ReadOnlyMemory<T> p0Memory,
        Memory<T> yMemory, Memory<T> aLastMemory, Memory<T> bLastMemory, Memory<T> pLastMemory, int workers)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (length, channels, width) = (s.Length, s.Channels, Vector<T>.Count);
        var perBatch = channels / width;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, worker =>
        {
            ReadOnlySpan<T> w = wMemory.Span, u = uMemory.Span, k = kMemory.Span, v = vMemory.Span, a0 = a0Memory.Span, b0 = b0Memory.Span, p0 = p0Memory.Span;
            Span<T> y = yMemory.Span, aLast = aLastMemory.Span, bLast = bLastMemory.Span, pLast = pLastMemory.Span;
            var (first, last) = VectorMath.Share(s.Blocks<T>(), workers, worker);
            for (var block = first; block < last; block++)
            {
                var (b, j) = Math.DivRem(block, perBatch);
                var c0 = j * width;
                var so = b * channels + c0;
                var (wv, uv) = (new Vector<T>(w[c0..]), new Vector<T>(u[c0..]));
                var (a, bb, p) = (new Vector<T>(a0[so..]), new Vector<T>(b0[so..]), new Vector<T>(p0[so..]));
                for (var t = 0; t < length; t++)
                {
                    var io = (b * length + t) * channels + c0;
                    var (kt, vt) = (new Vector<T>(k[io..]), new Vector<T>(v[io..]));
                    var ww = uv + kt;
                    var q = Vector.Max(p, ww);
                    var (e1, e2) = (VectorMath.Exp(p - q), VectorMath.Exp(ww - q));
                    ((e1 * a + e2 * vt) / (e1 * bb + e2)).CopyTo(y[io..]);
                    var decayed = p - wv;
                    q = Vector.Max(decayed, kt);
                    (e1, e2) = (VectorMath.Exp(decayed - q), VectorMath.Exp(kt - q));
                    (a, bb, p) = (e1 * a + e2 * vt, e1 * bb + e2, q);
                }
                a.CopyTo(aLast[so..]);
                bb.CopyTo(bLast[so..]);
                p.CopyTo(pLast[so..]);
            }
        });
    }

    /// <summary>
    /// Gradients of w, u, k, v, a0, b0 and p0 from gy (B, T, C) and the gradients of the final a, b
    /// (p is a free scale and takes none, as in the reference). gA, gB are the gradients of the
    /// represented sums num, den times e^p: with e1' = e^(p_{t-1} - w - p_t), e2' = e^(k_t - p_t) of
    /// the update and e1 = e^(p_{t-1} - q), e2 = e^(u + k_t - q), den = e1 b + e2 of the output,
    /// step t adds gw -= e1'(gA a_{t-1} + gB b_{t-1}), gk += e2'(gA v + gB) + gy (v - y) e2 / den,
    /// gv += e2' gA + gy e2 / den, gu += gy (v - y) e2 / den, and carries gA = e1' gA + gy e1 / den,
    /// gB = e1' gB - gy y e1 / den to step t-1; finally ga0 = gA, gb0 = gB, gp0 = gA a0 + gB b0.
    /// </summary>
    public static void Backward<T>(Dims s, ReadOnlyMemory<T> wMemory, ReadOnlyMemory<T> uMemory, ReadOnlyMemory<T> kMemory, ReadOnlyMemory<T> vMemory,
        ReadOnlyMemory<T> a0Memory, ReadOnlyMemory<T> b0Memory, ReadOnlyMemory<T> p0Memory,
        ReadOnlyMemory<T> gyMemory, ReadOnlyMemory<T> gaLastMemory, ReadOnlyMemory<T> gbLastMemory,
        Memory<T> gwMemory, Memory<T> guMemory, Memory<T> gkMemory, Memory<T> gvMemory, Memory<T> ga0Memory, Memory<T> gb0Memory, Memory<T> gp0Memory, int workers)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (length, channels, width) = (s.Length, s.Channels, Vector<T>.Count);
        var perBatch = channels / width;
        // gw and gu sum over the batch: one partial sum per worker, added at the end.
        var partialW = new T[workers][];
        var partialU = new T[workers][];
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, worker =>
        {
            ReadOnlySpan<T> w = wMemory.Span, u = uMemory.Span, k = kMemory.Span, v = vMemory.Span, a0 = a0Memory.Span, b0 = b0Memory.Span, p0 = p0Memory.Span;
            ReadOnlySpan<T> gy = gyMemory.Span, gaLast = gaLastMemory.Span, gbLast = gbLastMemory.Span;
            Span<T> gk = gkMemory.Span, gv = gvMemory.Span, ga0 = ga0Memory.Span, gb0 = gb0Memory.Span, gp0 = gp0Memory.Span;
            var (gww, guw) = (new T[gwMemory.Length], new T[guMemory.Length]);
            (partialW[worker], partialU[worker]) = (gww, guw);
            // The state after each step: a, b, p (pooled: at 64k tokens they are MBs per call).
            var pool = ArrayPool<Vector<T>>.Shared;
            var (sa, sb, sp) = (pool.Rent(length), pool.Rent(length), pool.Rent(length));
            var (first, last) = VectorMath.Share(s.Blocks<T>(), workers, worker);
            for (var block = first; block < last; block++)
            {
                var (b, j) = Math.DivRem(block, perBatch);
                var c0 = j * width;
                var so = b * channels + c0;
                var (wv, uv) = (new Vector<T>(w[c0..]), new Vector<T>(u[c0..]));
                var (ia, ib, ip) = (new Vector<T>(a0[so..]), new Vector<T>(b0[so..]), new Vector<T>(p0[so..]));
                var (a, bb, p) = (ia, ib, ip);
                for (var t = 0; t < length; t++)
                {
                    var io = (b * length + t) * channels + c0;
                    var (kt, vt) = (new Vector<T>(k[io..]), new Vector<T>(v[io..]));
                    var decayed = p - wv;
                    var q = Vector.Max(decayed, kt);
                    var (e1, e2) = (VectorMath.Exp(decayed - q), VectorMath.Exp(kt - q));
                    (a, bb, p) = (e1 * a + e2 * vt, e1 * bb + e2, q);
                    (sa[t], sb[t], sp[t]) = (a, bb, p);
                }

                var (gA, gB) = (new Vector<T>(gaLast[so..]), new Vector<T>(gbLast[so..]));
                var (gwAcc, guAcc) = (Vector<T>.Zero, Vector<T>.Zero);
                for (var t = length - 1; t >= 0; t--)
                {
                    var io = (b * length + t) * channels + c0;
                    var (kt, vt, gyt) = (new Vector<T>(k[io..]), new Vector<T>(v[io..]), new Vector<T>(gy[io..]));
                    var (pa, pb, pp) = t > 0 ? (sa[t - 1], sb[t - 1], sp[t - 1]) : (ia, ib, ip);

                    // The update of step t.
                    var e1u = VectorMath.Exp(pp - wv - sp[t]);
                    var e2u = VectorMath.Exp(kt - sp[t]);
                    gwAcc -= e1u * (gA * pa + gB * pb);
                    var gkt = e2u * (gA * vt + gB);
                    var gvt = e2u * gA;
                    (gA, gB) = (e1u * gA, e1u * gB);

                    // The output of step t, from the state before it.
                    var ww = uv + kt;
                    var q = Vector.Max(pp, ww);
                    var (e1, e2) = (VectorMath.Exp(pp - q), VectorMath.Exp(ww - q));
                    var den = e1 * pb + e2;
                    var yt = (e1 * pa + e2 * vt) / den;
                    var gBonus = gyt * (vt - yt) * e2 / den;
                    guAcc += gBonus;
                    (gkt + gBonus).CopyTo(gk[io..]);
                    (gvt + gyt * e2 / den).CopyTo(gv[io..]);
                    gA += gyt * e1 / den;
                    gB -= gyt * yt * e1 / den;
                }
                gA.CopyTo(ga0[so..]);
                gB.CopyTo(gb0[so..]);
                (gA * ia + gB * ib).CopyTo(gp0[so..]);
                (new Vector<T>(gww, c0) + gwAcc).CopyTo(gww, c0);
                (new Vector<T>(guw, c0) + guAcc).CopyTo(guw, c0);
            }
            pool.Return(sa);
            pool.Return(sb);
            pool.Return(sp);
        });
        VectorMath.Sum(partialW, gwMemory.Span);
        VectorMath.Sum(partialU, guMemory.Span);
    }
}
