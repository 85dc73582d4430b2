namespace Nsm.Data;

/// <summary>Sampling helpers for generators, on top of <see cref="SeededRandom"/>.</summary>
public static class Sampling
{
    /// <summary>k distinct integers from [0, n), in random order (Floyd's algorithm, then a shuffle).</summary>
    public static int[] Distinct(SeededRandom random, int n, int k)
    {
        if (k < 0 || k > n) throw new ArgumentOutOfRangeException(nameof(k), $"cannot draw {k} distinct values from {n}");
        var chosen = new HashSet<int>();
        var result = new int[k];
        var count = 0;
        for (var j = n - k; j < n; j++)
        {
            var t = random.Next(j + 1);
            var pick = chosen.Add(t) ? t : j;
            if (pick == j) chosen.Add(j);
            result[count++] = pick;
        }
        // Floyd's insertion order is biased towards large values late; the shuffle makes the order uniform.
        random.Shuffle(result);
        return result;
    }

    /// <summary>k distinct integers from [0, n), ascending.</summary>
    public static int[] DistinctSorted(SeededRandom random, int n, int k)
    {
        var result = Distinct(random, n, k);
        Array.Sort(result);
        return result;
    }

    /// <summary>
    /// k distinct indices drawn without replacement with probabilities proportional to weights,
    /// in draw order (Efraimidis-Spirakis keys u^(1/w): the same law as drawing one at a time).
    /// </summary>
    public static int[] WeightedDistinct(SeededRandom random, IReadOnlyList<double> weights, int k)
    {
        if (k < 0 || k > weights.Count) throw new ArgumentOutOfRangeException(nameof(k), $"cannot draw {k} distinct values from {weights.Count}");
        var keys = new (double Key, int Index)[weights.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            // log(u)/w orders like u^(1/w) without underflow for small weights; 1-u avoids log(0).
            var u = 1.0 - random.NextDouble();
            keys[i] = (Math.Log(u) / weights[i], i);
        }
        Array.Sort(keys, (a, b) => b.Key.CompareTo(a.Key));
        return keys.Take(k).Select(p => p.Index).ToArray();
    }
}
