namespace Nsm.Data.ListOps;

/// <summary>
/// A deduplicated ListOps set split into test, validation and training examples, generated as
/// the LRA script does: draw trees, keep those with minLength &lt; length &lt; maxLength, drop
/// duplicates, stop when enough are kept. The test and validation sets are filled first, so
/// they do not change when the number of training examples does.
/// </summary>
public sealed class ListOpsDataset
{
    public required PackedSequences Train { get; init; }
    public required PackedSequences Validation { get; init; }
    public required PackedSequences Test { get; init; }

    /// <summary>Trees drawn (kept or not), to report the acceptance rate.</summary>
    public long Drawn { get; init; }

    public static ListOpsDataset Generate(long seed, int trainCount, int validationCount, int testCount,
        int minLength, int maxLength, int maxDepth, int maxArgs)
    {
        if (maxLength - minLength < 2) throw new ArgumentException($"no length fits strictly between {minLength} and {maxLength}");
        var random = new SeededRandom(seed, 0x11570);
        var generator = new ListOpsGenerator(random, maxDepth, maxArgs);
        var seen = new HashSet<string>();
        var sets = new[] { new PackedSequences(), new PackedSequences(), new PackedSequences() };
        var wanted = new[] { testCount, validationCount, trainCount };
        var target = 0;
        long drawn = 0;
        var total = trainCount + validationCount + testCount;
        long kept = 0;
        while (target < 3)
        {
            if (sets[target].Count == wanted[target]) { target++; continue; }
            // A guard against settings that (almost) never give a tree of the wanted length:
            // every million draws, give up if the rate so far needs more than a billion draws.
            if (++drawn % 1_000_000 == 0 && (double)(total - kept) * drawn / Math.Max(kept, 1) > 1e9)
                throw new InvalidOperationException($"ListOps: only {kept} trees with {minLength} < length < {maxLength} in {drawn} draws; widen the length bounds or change max_depth/max_args");
            var tree = generator.Next(maxLength);
            if (tree is null) continue;
            var tokens = tree.Tokens();
            if (tokens.Count <= minLength) continue;
            var ids = tokens.Select(ListOpsVocabulary.Id).ToArray();
            if (!seen.Add(new string(ids.Select(i => (char)i).ToArray()))) continue;
            sets[target].Add(ids, tree.Evaluate());
            kept++;
        }
        return new ListOpsDataset { Test = sets[0], Validation = sets[1], Train = sets[2], Drawn = drawn };
    }
}
