using static TorchSharp.torch;

namespace Nsm.Training;

/// <summary>The mean loss of the scored targets at positions From .. To - 1 of the evaluated sequences (Tokens of them).</summary>
public sealed record PositionBucket(long From, long To, double Loss, long Tokens);

/// <summary>
/// Sums the per-token loss of an evaluation by absolute position in the sequence, so a long
/// evaluation shows whether the loss keeps falling with more context (the model uses it) or rises
/// beyond the training length (it does not extrapolate). Buckets double in width: [0, 64),
/// [64, 128), [128, 256), ..., the last one ending at the longest sequence seen.
/// </summary>
internal sealed class PositionLoss
{
    /// <summary>End of the first bucket; every later bucket ends at twice the previous end.</summary>
    public const long FirstBucketEnd = 64;

    private readonly List<double> sums = [];
    private readonly List<long> counts = [];

    /// <summary>
    /// Adds the cross-entropy of logits (B, n, C) against targets (B, n) where mask (B, n) is
    /// true, for the positions start .. start + n - 1.
    /// </summary>
    public void Add(Tensor logits, Tensor targets, Tensor mask, long start)
    {
        using var scope = NewDisposeScope();
        var (b, n) = (targets.shape[0], targets.shape[1]);
        var tokenLoss = nn.functional.cross_entropy(logits.reshape(b * n, -1).to(ScalarType.Float32), targets.reshape(-1), reduction: nn.Reduction.None).view(b, n);
        var scored = mask.to(ScalarType.Float64);                                           // (B, n)
        var lossByPosition = (tokenLoss.to(ScalarType.Float64) * scored).sum(dim: 0).cpu().data<double>().ToArray();  // (n)
        var countByPosition = scored.sum(dim: 0).cpu().data<double>().ToArray();
        while (sums.Count < start + n)
        {
            sums.Add(0);
            counts.Add(0);
        }
        for (var i = 0; i < n; i++)
        {
            sums[(int)(start + i)] += lossByPosition[i];
            counts[(int)(start + i)] += (long)countByPosition[i];
        }
    }

    /// <summary>The buckets that hold at least one scored target, in order.</summary>
    public IReadOnlyList<PositionBucket> Buckets()
    {
        var buckets = new List<PositionBucket>();
        long from = 0, to = FirstBucketEnd;
        while (from < sums.Count)
        {
            var end = Math.Min(to, sums.Count);
            double loss = 0;
            long tokens = 0;
            for (var p = from; p < end; p++)
            {
                loss += sums[(int)p];
                tokens += counts[(int)p];
            }
            if (tokens > 0) buckets.Add(new PositionBucket(from, end, loss / tokens, tokens));
            (from, to) = (end, to * 2);
        }
        return buckets;
    }
}
