using Nsm.Core;

namespace Nsm.Data;

/// <summary>
/// Order of training examples: epoch e visits every example once, in a permutation drawn
/// from (seed, e). The example at global position p = step * batch + i is a pure function of
/// (seed, p), so a resumed run sees exactly the data an uninterrupted one would.
/// </summary>
public sealed class EpochSampler
{
    private readonly long seed;
    private readonly int count;
    private long cachedEpoch = -1;
    private int[] permutation = [];

    public EpochSampler(long seed, int count)
    {
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), "a training set needs at least one example");
        this.seed = seed;
        this.count = count;
    }

    /// <summary>Example index at a global position.</summary>
    public int At(long position)
    {
        var epoch = position / count;
        if (epoch != cachedEpoch)
        {
            permutation = Enumerable.Range(0, count).ToArray();
            new SeededRandom(seed, epoch).Shuffle(permutation);
            cachedEpoch = epoch;
        }
        return permutation[(int)(position % count)];
    }

    /// <summary>The example indices of one training batch.</summary>
    public int[] Batch(long step, int batchSize)
    {
        var result = new int[batchSize];
        for (var i = 0; i < batchSize; i++) result[i] = At(step * batchSize + i);
        return result;
    }
}
