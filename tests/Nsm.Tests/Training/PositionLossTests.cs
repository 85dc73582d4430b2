using static TorchSharp.torch;
using Nsm.Training;

namespace Nsm.Tests.Training;

public sealed class PositionLossTests
{
    /// <summary>
    /// Two classes, 200 positions: uniform logits (loss ln 2) before position 64, logits of +-20
    /// favouring the target after it (loss about 2e-9); the second sample's positions 150.. unscored.
    /// </summary>
    private static (Tensor Logits, Tensor Targets, Tensor Mask) Case()
    {
        var targets = randint(0, 2, [2, 200]);
        var sign = targets.to(ScalarType.Float32) * 2 - 1;                                   // +1 for class 1, -1 for class 0
        var confident = stack([-20 * sign, 20 * sign], -1);                                  // (2, 200, 2)
        var logits = where(arange(200).lt(64).view(1, 200, 1), zeros_like(confident), confident);
        var mask = ones([2, 200], ScalarType.Bool);
        mask[1, 150..] = tensor(false);
        return (logits, targets, mask);
    }

    [Fact]
    public void BucketsDoubleInWidthAndAverageTheScoredTargetsOnly()
    {
        using var scope = NewDisposeScope();
        var (logits, targets, mask) = Case();
        var positions = new PositionLoss();
        positions.Add(logits, targets, mask, 0);

        var buckets = positions.Buckets();
        Assert.Equal([(0L, 64L, 128L), (64L, 128L, 128L), (128L, 200L, 72L + 22L)], buckets.Select(b => (b.From, b.To, b.Tokens)));
        Assert.Equal(Math.Log(2), buckets[0].Loss, 6);
        Assert.InRange(buckets[1].Loss, 0, 1e-6);
        Assert.InRange(buckets[2].Loss, 0, 1e-6);
    }

    [Fact]
    public void PiecesAtTheirPositionsGiveTheSameBucketsAsOneCall()
    {
        using var scope = NewDisposeScope();
        var (logits, targets, mask) = Case();
        var whole = new PositionLoss();
        whole.Add(logits, targets, mask, 0);
        var pieces = new PositionLoss();
        foreach (var (start, n) in new[] { (0L, 7L), (7L, 93L), (100L, 100L) })
            pieces.Add(logits.narrow(1, start, n), targets.narrow(1, start, n), mask.narrow(1, start, n), start);

        Assert.Equal(whole.Buckets(), pieces.Buckets());
    }

    [Fact]
    public void NothingScoredGivesNoBuckets()
    {
        using var scope = NewDisposeScope();
        var positions = new PositionLoss();
        positions.Add(zeros([1, 10, 3]), zeros([1, 10], ScalarType.Int64), zeros([1, 10], ScalarType.Bool), 0);
        Assert.Empty(positions.Buckets());
    }
}
