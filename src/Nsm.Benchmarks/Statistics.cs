namespace Nsm.Benchmarks;

/// <summary>Summary of repeated measurements: median and spread.</summary>
/// <param name="Median">Median of the samples.</param>
/// <param name="Min">Smallest sample.</param>
/// <param name="Max">Largest sample.</param>
/// <param name="Count">Number of samples.</param>
public sealed record SampleSummary(double Median, double Min, double Max, int Count)
{
    /// <summary>(max - min) / median: the relative spread of the repetitions.</summary>
    public double RelativeSpread => Median == 0 ? 0 : (Max - Min) / Median;
}

/// <summary>A straight-line fit y = Intercept + Slope * x, with the coefficient of determination.</summary>
public sealed record LineFit(double Slope, double Intercept, double RSquared, int Points);

/// <summary>Median, mean, spread and log-log fits used by the benchmarks.</summary>
public static class Statistics
{
    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("median of no values");
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
    }

    public static SampleSummary Summarize(IReadOnlyList<double> values) =>
        new(Median(values), values.Min(), values.Max(), values.Count);

    public static double Mean(IReadOnlyList<double> values) => values.Count == 0 ? double.NaN : values.Average();

    /// <summary>Sample standard deviation (n - 1); 0 for a single value.</summary>
    public static double StandardDeviation(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return 0;
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    /// <summary>Least-squares line through (x, y); needs at least two distinct x.</summary>
    public static LineFit FitLine(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException("x and y differ in length");
        if (x.Count < 2) throw new ArgumentException("a line fit needs at least two points");
        var n = x.Count;
        var mx = x.Average();
        var my = y.Average();
        double sxx = 0, sxy = 0, syy = 0;
        for (var i = 0; i < n; i++)
        {
            sxx += (x[i] - mx) * (x[i] - mx);
            sxy += (x[i] - mx) * (y[i] - my);
            syy += (y[i] - my) * (y[i] - my);
        }
        if (sxx == 0) throw new ArgumentException("a line fit needs at least two distinct x values");
        var slope = sxy / sxx;
        var r2 = syy == 0 ? 1 : sxy * sxy / (sxx * syy);
        return new LineFit(slope, my - slope * mx, r2, n);
    }

    /// <summary>
    /// Fits log(y) = a + b log(x): b is the scaling exponent (1 for linear cost, 2 for
    /// quadratic). Non-positive values are skipped; null when fewer than two points remain.
    /// </summary>
    public static LineFit? FitLogLog(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        var points = x.Zip(y).Where(p => p.First > 0 && p.Second > 0 && double.IsFinite(p.Second)).ToList();
        if (points.Select(p => p.First).Distinct().Count() < 2) return null;
        return FitLine(points.Select(p => Math.Log(p.First)).ToList(), points.Select(p => Math.Log(p.Second)).ToList());
    }
}
