using Nsm.Inspection;

namespace Nsm.Tests.Inspection;

public sealed class SlotMetricsTests
{
    [Fact]
    public void MutualInformationIsOneForTheSameGroupingAndZeroForIndependentOnes()
    {
        Assert.Equal(1.0, SlotMetrics.NormalisedMutualInformation([0, 0, 1, 1, 2, 2], [5, 5, 7, 7, 9, 9]), 12);
        // Every x value meets every y value equally often: independent.
        Assert.Equal(0.0, SlotMetrics.NormalisedMutualInformation([0, 0, 1, 1], [0, 1, 0, 1]), 12);
        Assert.Equal(0.0, SlotMetrics.NormalisedMutualInformation([3, 3, 3], [1, 2, 3]), 12);
        // x = (0,0,1,1), y = (0,1,1,1): I = H(y) - H(y|x) = h(1/4) - 1/2·h(1/2); NMI = 2I / (H(x) + H(y)).
        static double H(params double[] p) => -p.Sum(x => x * Math.Log(x));
        var mutual = H(0.25, 0.75) - 0.5 * H(0.5, 0.5);
        Assert.Equal(2 * mutual / (H(0.5, 0.5) + H(0.25, 0.75)), SlotMetrics.NormalisedMutualInformation([0, 0, 1, 1], [0, 1, 1, 1]), 12);
    }

    [Fact]
    public void EntropyAndSlotsUsedMatchHandComputedCases()
    {
        Assert.Equal((Math.Log(4) + Math.Log(2)) / 2, SlotMetrics.MeanRowEntropy([[0.25f, 0.25f, 0.25f], [0.5f, 0.5f, 0f]], [0.25f, 0f]), 6);
        // Two tokens each sure of a different slot: two slots used; both on the same slot: one.
        Assert.Equal(2.0, SlotMetrics.SlotsUsed([[1f, 0f, 0f], [0f, 1f, 0f]]), 6);
        Assert.Equal(1.0, SlotMetrics.SlotsUsed([[0f, 1f, 0f], [0f, 1f, 0f]]), 6);
        Assert.Equal([2L, 0L], SlotMetrics.ArgMax([[0f, 0.1f, 0.9f], [0.5f, 0.2f, 0.3f]]));
    }
}
