using static TorchSharp.torch;
using Nsm.Benchmarks;
using Nsm.Config;
using Nsm.Data;
using Nsm.Tasks;

namespace Nsm.Tests.Tasks;

public sealed class CopyTaskTests
{
    private static CopyTask Task(int vocab = 8, int length = 5, int delay = 3) =>
        new(new TaskConfig { VocabSize = vocab, SeqLen = length, Delay = delay, EvalExamples = 10 }, seed: 7);

    [Fact]
    public void ExampleIsSequenceBlanksSeparatorCopy()
    {
        var task = Task();
        var example = task.Generate(new SeededRandom(1));
        var t = example.Tokens;
        Assert.Equal(2 * 5 + 3 + 1, t.Length);
        Assert.All(t[..5], x => Assert.InRange(x, 0, 7));
        Assert.All(t[5..8], x => Assert.Equal(task.Blank, x));
        Assert.Equal(task.Separator, t[8]);
        Assert.Equal(t[..5], t[9..]);
        // Exactly the targets that are copies are scored: predicting s[j+1] for j = 8..12.
        Assert.Equal(Enumerable.Range(0, 13).Select(j => j >= 8).ToArray(), example.Scored);
    }

    [Fact]
    public void BatchesShiftInputsAndTargetsByOne()
    {
        using var batch = Task().TrainBatch(0, 4, CPU);
        Assert.Equal(new long[] { 4, 13 }, batch.Inputs.shape);
        Assert.True(batch.Inputs[.., 1..].equal(batch.Targets[.., ..^1]).all().item<bool>());
        Assert.Equal(4 * 5, batch.LossMask!.sum().item<long>());
    }

    [Fact]
    public void TrainBatchesAreAPureFunctionOfSeedAndStep()
    {
        using var a = Task().TrainBatch(5, 4, CPU);
        using var b = Task().TrainBatch(5, 4, CPU);
        using var c = Task().TrainBatch(6, 4, CPU);
        Assert.True(a.Inputs.equal(b.Inputs).all().item<bool>());
        Assert.False(a.Inputs.equal(c.Inputs).all().item<bool>());
    }

    [Fact]
    public void EvalSetIsFixedAndDisjointFromTraining()
    {
        var task = Task(vocab: 16, length: 8);
        var first = task.EvalBatches(4, CPU).Select(b => b.Inputs).ToList();
        var second = task.EvalBatches(4, CPU).Select(b => b.Inputs).ToList();
        Assert.Equal(3, first.Count);
        Assert.Equal(2, first[^1].shape[0]);
        Assert.All(first.Zip(second), p => Assert.True(p.First.equal(p.Second).all().item<bool>()));
        using var train = task.TrainBatch(0, 4, CPU);
        Assert.False(first[0].equal(train.Inputs).all().item<bool>());
    }

    [Fact]
    public void TokenizerRoundTripsAndRejectsUnknownCharacters()
    {
        var tokenizer = Task().Tokenizer!;
        Assert.Equal("abc.|", tokenizer.Decode(tokenizer.Encode("abc.|")));
        var error = Assert.Throws<ArgumentException>(() => tokenizer.Encode("abz"));
        Assert.Contains("'z' at position 2", error.Message);
    }
}
