using Nsm.Benchmarks;

namespace Nsm.Tests.Benchmarks;

public sealed class StatisticsTests
{
    [Theory]
    [InlineData(1.0)]
    [InlineData(2.0)]
    [InlineData(1.37)]
    public void LogLogFitRecoversThePowerOfAPowerLaw(double exponent)
    {
        var x = new double[] { 256, 1024, 4096, 16384, 65536 };
        var y = x.Select(v => 3e-6 * Math.Pow(v, exponent)).ToList();
        var fit = Statistics.FitLogLog(x, y)!;
        Assert.Equal(exponent, fit.Slope, 10);
        Assert.Equal(Math.Log(3e-6), fit.Intercept, 8);
        Assert.Equal(1.0, fit.RSquared, 10);
        Assert.Equal(5, fit.Points);
    }

    [Fact]
    public void LogLogFitToleratesNoiseAndSkipsUnusablePoints()
    {
        // y = x^2 with +-5% multiplicative noise; a zero (failed run) and a NaN are ignored.
        var x = new double[] { 100, 200, 400, 800, 1600, 3200, 6400 };
        var noise = new[] { 1.05, 0.96, 1.02, 0.97, 1.04, 0.95, 1.01 };
        var y = x.Select((v, i) => v * v * noise[i]).ToList();
        var fit = Statistics.FitLogLog([.. x, 12800, 25600], [.. y, 0, double.NaN])!;
        Assert.Equal(7, fit.Points);
        Assert.InRange(fit.Slope, 1.95, 2.05);
        Assert.True(fit.RSquared > 0.99);
        Assert.Null(Statistics.FitLogLog([100], [5]));
    }

    [Fact]
    public void MedianAndSpread()
    {
        Assert.Equal(3, Statistics.Median([5, 1, 3]));
        Assert.Equal(2.5, Statistics.Median([4, 1, 3, 2]));
        var s = Statistics.Summarize([2.0, 4.0, 3.0]);
        Assert.Equal((3.0, 2.0, 4.0, 3), (s.Median, s.Min, s.Max, s.Count));
        Assert.Equal(2.0 / 3.0, s.RelativeSpread, 12);
        Assert.Equal(1.0, Statistics.StandardDeviation([1.0, 2.0, 3.0]), 12);
        Assert.Equal(0, Statistics.StandardDeviation([7.0]));
    }

    [Fact]
    public void MacroF1MatchesAHandComputation()
    {
        // truth x predicted. Class 0: tp 3, fp 1, fn 1 -> 6/8; class 1: tp 2, fp 1, fn 1 -> 4/6;
        // class 2 never occurs and is left out of the mean.
        var confusion = new long[,] { { 3, 1, 0 }, { 1, 2, 0 }, { 0, 0, 0 } };
        Assert.Equal((0.75 + 4.0 / 6.0) / 2, ClassificationMetrics.MacroF1(confusion), 12);
    }

    [Fact]
    public void ProcStatusIsParsedInBytes()
    {
        var sample = ProcessMemory.Parse("Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n");
        Assert.Equal(1024L * 1024, sample.ResidentBytes);
        Assert.Equal(2048L * 1024, sample.PeakBytes);
    }

    [Fact]
    public void PeakResetLowersTheMarkAfterAFreedAllocation()
    {
        Assert.True(ProcessMemory.Available, "the benchmarks run on Linux and read /proc/self/status");
        using (var big = TorchSharp.torch.ones(64L << 20))   // 256 MiB, written so it is resident
            Assert.True(big.sum().item<float>() > 0);
        var before = ProcessMemory.Read();
        Assert.True(ProcessMemory.ResetPeak());
        var after = ProcessMemory.Read();
        Assert.True(before.PeakBytes - after.PeakBytes > 128L << 20, $"peak {before.PeakBytes >> 20} MiB -> {after.PeakBytes >> 20} MiB");
        Assert.True(after.PeakBytes >= after.ResidentBytes - (1 << 20));
    }
}
