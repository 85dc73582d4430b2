using System.Numerics;

namespace Nsm.Ops;

/// <summary>Helpers of the managed CPU kernels (<see cref="SelectiveScanKernel"/>, <see cref="WkvKernel"/>).</summary>
internal static class VectorMath
{
    /// <summary>
    /// exp on every lane. Float32: <see cref="ExpFloat"/> (the runtime's Vector.Exp runs lane by
    /// lane, about 150 ns a vector on the 2-core VM, and was most of the selective scan's time).
    /// Float64, which only the tests use: Math.Exp per lane.
    /// </summary>
    public static Vector<T> Exp<T>(Vector<T> x) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return Vector.As<float, T>(ExpFloat(Vector.As<T, float>(x)));
        if (typeof(T) == typeof(double))
        {
            var v = Vector.As<T, double>(x);
            Span<double> lanes = stackalloc double[Vector<double>.Count];
            for (var i = 0; i < lanes.Length; i++) lanes[i] = Math.Exp(v[i]);
            return Vector.As<double, T>(new Vector<double>(lanes));
        }
        throw new NotSupportedException(typeof(T).Name);
    }

    /// <summary>
    /// Vectorised exp (Cephes expf): x = k ln2 + r with |r| ≤ ln2/2 (ln2 split in two for an exact
    /// r), exp(r) by a degree-7 polynomial, 2^k written into the exponent bits. Within 2 ulp of
    /// MathF.Exp for normal results; below -87.3 it gives 0 (where MathF.Exp gives a denormal or 0);
    /// inputs above 88 are taken as 88.
    /// </summary>
    public static Vector<float> ExpFloat(Vector<float> x)
    {
        var underflow = Vector.LessThan(x, new Vector<float>(-87.33654f));
        x = Vector.Min(Vector.Max(x, new Vector<float>(-87.33654f)), new Vector<float>(88f));
        var k = Vector.Floor(x * 1.44269504088896341f + new Vector<float>(0.5f));
        var r = x - k * 0.693359375f + k * 2.12194440e-4f;
        var p = new Vector<float>(1.9875691500e-4f);
        p = p * r + new Vector<float>(1.3981999507e-3f);
        p = p * r + new Vector<float>(8.3334519073e-3f);
        p = p * r + new Vector<float>(4.1665795894e-2f);
        p = p * r + new Vector<float>(1.6666665459e-1f);
        p = p * r + new Vector<float>(5.0000001201e-1f);
        var y = p * r * r + r + Vector<float>.One;
        var pow2 = Vector.AsVectorSingle(Vector.ShiftLeft(Vector.ConvertToInt32(k) + new Vector<int>(127), 23));
        return Vector.ConditionalSelect(underflow, Vector<float>.Zero, y * pow2);
    }

    /// <summary>The items [first, last) of worker w when items are split as evenly as possible.</summary>
    public static (int First, int Last) Share(int items, int workers, int w) =>
        ((int)((long)items * w / workers), (int)((long)items * (w + 1) / workers));

    /// <summary>total = the element-wise sum of the workers' partial sums.</summary>
    public static void Sum<T>(T[][] parts, Span<T> total) where T : unmanaged, IFloatingPointIeee754<T>
    {
        total.Clear();
        foreach (var part in parts)
            for (var i = 0; i < total.Length; i++) total[i] += part[i];
    }
}
