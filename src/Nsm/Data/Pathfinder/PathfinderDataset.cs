namespace Nsm.Data.Pathfinder;

/// <summary>
/// A generated Pathfinder set: training, validation and test images as pixel-token sequences
/// (Size·Size tokens 0-255, row-major) with their labels. Example i of a split is drawn from its
/// own random stream of (seed, split, i), so the test set does not change with the number of
/// training examples, and any example can be drawn again, with its metadata, by <see cref="Image"/>.
/// </summary>
internal sealed class PathfinderDataset
{
    public required PackedSequences Train { get; init; }
    public required PackedSequences Validation { get; init; }
    public required PackedSequences Test { get; init; }

    public static PathfinderDataset Generate(long seed, int trainCount, int validationCount, int testCount, PathfinderOptions options)
    {
        var generator = new PathfinderGenerator(options);
        return new PathfinderDataset
        {
            Train = Fill(generator, seed, PathfinderSplit.Train, trainCount),
            Validation = Fill(generator, seed, PathfinderSplit.Validation, validationCount),
            Test = Fill(generator, seed, PathfinderSplit.Test, testCount),
        };
    }

    /// <summary>Example <paramref name="index"/> of <paramref name="split"/>, exactly as the set holds it.</summary>
    public static PathfinderImage Image(PathfinderGenerator generator, long seed, PathfinderSplit split, int index) =>
        generator.Generate(new SeededRandom(seed, Stream(split, index)));

    // A distinct stream per (split, index); the constant keeps them apart from other generated tasks' streams.
    private static long Stream(PathfinderSplit split, int index) => ((0x5A7FL + (long)split) << 32) + index;

    private static PackedSequences Fill(PathfinderGenerator generator, long seed, PathfinderSplit split, int count)
    {
        var set = new PackedSequences();
        for (var i = 0; i < count; i++)
        {
            var image = Image(generator, seed, split, i);
            set.Add(image.Tokens(), image.Label);
        }
        return set;
    }
}
