using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Nsm.Benchmarks;

/// <summary>
/// The machine's measured fp32 matrix-multiply rate: the reference for model FLOP
/// utilisation. Times an n x n by n x n sgemm (2 n^3 FLOPs) with libtorch's current threads.
/// </summary>
public static class MatmulPeak
{
    /// <summary>
    /// FLOP/s of the fastest repetition after one warm-up product: the rate the machine can
    /// reach, which on a shared machine the median would understate.
    /// </summary>
    public static double Measure(int n = 2048, int repetitions = 5)
    {
        using var scope = NewDisposeScope();
        var a = randn(n, n);
        var b = randn(n, n);
        a.mm(b).Dispose();
        var times = new List<double>();
        for (var i = 0; i < repetitions; i++)
        {
            var watch = Stopwatch.StartNew();
            a.mm(b).Dispose();
            times.Add(watch.Elapsed.TotalSeconds);
        }
        return 2.0 * n * n * n / times.Min();
    }
}
