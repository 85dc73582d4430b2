namespace Nsm.Inspection;

/// <summary>
/// The summary numbers of an inspection, from plain arrays: routing entropy, how many slots
/// are in effect used, and how much the slots specialise (normalised mutual information).
/// Entropies are in nats.
/// </summary>
public static class SlotMetrics
{
    /// <summary>Entropy of a distribution p (zeros allowed; need not be normalised exactly).</summary>
    public static double Entropy(IEnumerable<double> p) => -p.Where(x => x > 0).Sum(x => x * Math.Log(x));

    /// <summary>
    /// Mean over rows of the entropy of each row's routing (its slot probabilities and what the
    /// null slot took). rows: (T, s); nullShare: (T) or null.
    /// </summary>
    public static double MeanRowEntropy(float[][] rows, float[]? nullShare) =>
        rows.Length == 0 ? double.NaN
        : rows.Select((r, t) => Entropy(r.Select(x => (double)x).Append(nullShare?[t] ?? 0))).Average();

    /// <summary>exp(entropy) of the routing mass summed over all rows, renormalised over the slots: how many slots the writes spread over.</summary>
    public static double SlotsUsed(float[][] rows)
    {
        if (rows.Length == 0) return double.NaN;
        var total = new double[rows[0].Length];
        foreach (var r in rows)
            for (var j = 0; j < r.Length; j++) total[j] += r[j];
        var sum = total.Sum();
        return sum > 0 ? Math.Exp(Entropy(total.Select(x => x / sum))) : double.NaN;
    }

    /// <summary>
    /// Normalised mutual information of two labelings of the same items,
    /// 2·I(X;Y) / (H(X) + H(Y)) (the arithmetic normalisation); 0 when both are constant.
    /// </summary>
    public static double NormalisedMutualInformation(IReadOnlyList<long> x, IReadOnlyList<long> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"labelings of {x.Count} and {y.Count} items");
        if (x.Count == 0) return double.NaN;
        double n = x.Count;
        var px = x.GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count() / n);
        var py = y.GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count() / n);
        var joint = x.Zip(y).GroupBy(p => p).Select(g => (g.Key, P: g.Count() / n));
        var mutual = joint.Sum(j => j.P * Math.Log(j.P / (px[j.Key.First] * py[j.Key.Second])));
        var (hx, hy) = (Entropy(px.Values), Entropy(py.Values));
        return hx + hy > 0 ? Math.Max(0, 2 * mutual / (hx + hy)) : 0;
    }

    /// <summary>Index of the largest entry of each row.</summary>
    public static long[] ArgMax(float[][] rows) => rows.Select(r => (long)Array.IndexOf(r, r.Max())).ToArray();
}
