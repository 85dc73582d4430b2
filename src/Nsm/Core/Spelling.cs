namespace Nsm.Core;

/// <summary>
/// "Did you mean ...?" for mistyped names (config keys, presets, model kinds, commands, options):
/// the candidate nearest by edit distance, when it is near enough to be a typo.
/// </summary>
public static class Spelling
{
    /// <summary>
    /// The candidate nearest to <paramref name="word"/> (ignoring case), or null when none is within
    /// max(1, length / 3) edits; ties go to the earlier candidate.
    /// </summary>
    public static string? Closest(string word, IEnumerable<string> candidates)
    {
        var limit = Math.Max(1, word.Length / 3);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Distance(word.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance && distance <= limit && !string.Equals(word, candidate, StringComparison.Ordinal))
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    /// <summary>
    /// What goes between an "unknown ..." message and its list of valid names: "; did you mean
    /// 'PREFIX+nearest'? " when a candidate is near, otherwise "; ".
    /// </summary>
    public static string DidYouMean(string word, IEnumerable<string> candidates, string prefix = "") =>
        Closest(word, candidates) is { } near ? $"; did you mean '{prefix}{near}'? " : "; ";

    /// <summary>
    /// Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of two
    /// neighbouring characters each cost 1, so "d_modle" is one edit from "d_model".
    /// </summary>
    public static int Distance(string a, string b)
    {
        // d[i, j] = distance between the first i characters of a and the first j of b.
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
