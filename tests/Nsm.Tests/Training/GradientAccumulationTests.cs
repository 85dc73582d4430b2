using Nsm.Config;
using Nsm.Tests.Support;
using Nsm.Training;
using static Nsm.Tests.Distributed.MpiRun;

namespace Nsm.Tests.Training;

/// <summary>
/// Gradient accumulation, the one-machine alternative to more ranks: A micro-batches of b rows
/// train exactly as one batch of A x b rows (the same loss curve and final weights), as the
/// 2-rank test checks for ranks.
/// </summary>
public sealed class GradientAccumulationTests : SingleThreadTest
{
    [Theory]
    [InlineData("associative-recall-nsm", "model.num_states=4")]
    [InlineData("associative-recall-transformer", "")]
    public void MicroBatchesEqualOneBatchOfTheirRows(string preset, string extra)
    {
        using var dir = TestConfigs.TempDir();
        var overrides = $"{Tiny} {extra}".Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Trainer Train(string run, params string[] more)
        {
            var trainer = new Trainer(ConfigLoader.LoadPreset(preset, [.. overrides, .. more]), dir.Sub(run));
            trainer.Run();
            return trainer;
        }
        var whole = Train("whole", "train.batch_size=4");
        var micro = Train("micro", "train.batch_size=2", "train.grad_accum=2");

        Assert.Equal(20, whole.LossHistory.Count);
        Assert.Equal(whole.LossHistory.Count, micro.LossHistory.Count);
        for (var i = 0; i < whole.LossHistory.Count; i++)
        {
            var (expected, actual) = (whole.LossHistory[i].Loss, micro.LossHistory[i].Loss);
            Assert.True(Math.Abs(actual - expected) <= 1e-5 * Math.Abs(expected), $"step {i + 1}: loss {actual} in 2 micro-batches, {expected} in one batch");
        }
        var difference = MaxWeightDifference(dir.Sub("whole"), dir.Sub("micro"));
        Assert.True(difference <= 1e-6, $"weights differ by {difference}");
    }
}
