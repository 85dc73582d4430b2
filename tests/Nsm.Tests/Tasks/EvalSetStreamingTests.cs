using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Tasks;

namespace Nsm.Tests.Tasks;

/// <summary>
/// A large generated evaluation set is drawn batch by batch instead of kept: the batches must be
/// those of the kept set, every pass alike, with the last batch short.
/// </summary>
public sealed class EvalSetStreamingTests
{
    [Theory]
    [InlineData(4)]
    [InlineData(5)]      // 13 examples: the last batch holds 3
    public void DrawnBatchesEqualTheKeptSetsOnEveryPass(int batchSize)
    {
        using var scope = NewDisposeScope();
        var config = ConfigLoader.FromOverrides(["task.name=passkey", "task.seq_len=200", "task.eval_examples=13"]).Task;
        var kept = new PasskeyTask(config, 3);
        var drawn = new PasskeyTask(config, 3) { KeptEvalTokenLimit = 0 };
        var expected = kept.EvalBatches(batchSize, CPU).ToList();
        Assert.Equal((13 + batchSize - 1) / batchSize, expected.Count);
        for (var pass = 0; pass < 2; pass++)
        {
            var actual = drawn.EvalBatches(batchSize, CPU).ToList();
            Assert.Equal(expected.Count, actual.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                Assert.True(expected[i].Inputs.equal(actual[i].Inputs).all().item<bool>(), $"pass {pass}, batch {i}: inputs");
                Assert.True(expected[i].Targets.equal(actual[i].Targets).all().item<bool>(), $"pass {pass}, batch {i}: targets");
                Assert.True(expected[i].LossMask!.equal(actual[i].LossMask!).all().item<bool>(), $"pass {pass}, batch {i}: scored targets");
            }
        }
    }
}
