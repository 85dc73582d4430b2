using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Data;
using Nsm.Registry;
using Nsm.Tasks;

namespace Nsm.Tests.Tasks;

public sealed class SyntheticTaskTests
{
    static TaskConfig Task(params string[] overrides) => ConfigLoader.FromOverrides(overrides).Task;

    static IEnumerable<SequenceExample> Examples(SyntheticSequenceTask task, int count, long stream = 7)
    {
        var random = new SeededRandom(11, stream);
        for (var i = 0; i < count; i++) yield return task.Generate(random);
    }

    /// <summary>The scored next-token targets of an example, in order.</summary>
    static long[] ScoredTargets(SequenceExample e) =>
        Enumerable.Range(0, e.Scored.Length).Where(j => e.Scored[j]).Select(j => e.Tokens[j + 1]).ToArray();

    [Fact]
    public void SelectiveCopyReproducesTheScatteredTokensInOrder()
    {
        var task = new SelectiveCopyTask(Task("task.name=selective_copy", "task.seq_len=40", "task.num_tokens=6", "task.vocab_size=5"), 1);
        Assert.Equal(7, task.Spec.VocabSize);
        Assert.Equal(40 + 1 + 6 - 1, task.Spec.MaxLength);
        var gaps = new HashSet<string>();
        foreach (var e in Examples(task, 200))
        {
            Assert.Equal(47, e.Tokens.Length);
            var content = e.Tokens[..40].Where(t => t != task.Noise).ToArray();
            Assert.Equal(6, content.Length);
            Assert.All(content, t => Assert.InRange(t, 0, 4));
            Assert.Equal(task.Separator, e.Tokens[40]);
            Assert.Equal(content, ScoredTargets(e));
            Assert.Equal(content, e.Tokens[41..]);
            gaps.Add(string.Join(",", Enumerable.Range(0, 40).Where(i => e.Tokens[i] != task.Noise)));
        }
        // Positions vary from example to example (what makes the copy "selective").
        Assert.True(gaps.Count > 190, $"only {gaps.Count} distinct position patterns in 200 examples");
    }

    [Fact]
    public void SelectiveCopyRejectsMoreTokensThanPositions()
    {
        var e = Assert.Throws<ConfigException>(() => new SelectiveCopyTask(Task("task.seq_len=4", "task.num_tokens=5"), 1));
        Assert.Contains("'task.num_tokens'", e.Message);
    }

    [Fact]
    public void RepeatCopyRepeatsAsOftenAsTheRepeatTokenSays()
    {
        var task = new RepeatCopyTask(Task("task.name=repeat_copy", "task.seq_len=5", "task.max_repeats=4", "task.vocab_size=6"), 1);
        var seen = new HashSet<int>();
        foreach (var e in Examples(task, 100))
        {
            Assert.Equal(5 + 2 + 5 * 4 + 1, e.Tokens.Length);
            Assert.Equal(task.Separator, e.Tokens[5]);
            var repeats = (int)(e.Tokens[6] - task.RepeatToken(0));
            Assert.InRange(repeats, 1, 4);
            seen.Add(repeats);
            var x = e.Tokens[..5];
            var expected = Enumerable.Repeat(x, repeats).SelectMany(t => t).Append(task.End).ToArray();
            Assert.Equal(expected, ScoredTargets(e));
            Assert.All(e.Tokens[(7 + 5 * repeats + 1)..], t => Assert.Equal(task.Blank, t));
        }
        Assert.Equal(4, seen.Count);
    }

    [Fact]
    public void AssociativeRecallScoresTheValueOfTheQueriedKey()
    {
        var task = new AssociativeRecallTask(Task("task.name=associative_recall", "task.num_pairs=6", "task.key_vocab=10", "task.value_vocab=10"), 1);
        foreach (var e in Examples(task, 200))
        {
            Assert.Equal(15, e.Tokens.Length);
            var pairs = Enumerable.Range(0, 6).Select(i => (Key: e.Tokens[2 * i], Value: e.Tokens[2 * i + 1])).ToList();
            Assert.Equal(6, pairs.Select(p => p.Key).Distinct().Count());
            Assert.All(pairs, p => { Assert.InRange(p.Key, 0, 9); Assert.InRange(p.Value, 10, 19); });
            Assert.Equal(task.Separator, e.Tokens[12]);
            var query = e.Tokens[13];
            Assert.Equal([pairs.Single(p => p.Key == query).Value], ScoredTargets(e));
        }
    }

    [Fact]
    public void MqarScoresTheValueAfterEveryQuery()
    {
        var task = new MqarTask(Task("task.name=mqar", "task.seq_len=64", "task.num_pairs=8", "task.num_queries=5", "task.key_vocab=16", "task.value_vocab=16"), 1);
        foreach (var e in Examples(task, 200))
        {
            Assert.Equal(64, e.Tokens.Length);
            var map = new Dictionary<long, long>();
            for (var i = 0; i < 8; i++) map.Add(e.Tokens[2 * i], e.Tokens[2 * i + 1]);
            Assert.Equal(8, map.Values.Distinct().Count());
            var queried = new List<long>();
            for (var j = 16; j < 63; j++)
            {
                if (!e.Scored[j]) continue;
                Assert.Equal(0, (j - 16) % 2);
                Assert.Equal(map[e.Tokens[j]], e.Tokens[j + 1]);
                queried.Add(e.Tokens[j]);
            }
            Assert.Equal(5, queried.Count);
            Assert.Equal(5, queried.Distinct().Count());
            Assert.All(e.Scored[..16], Assert.False);
            // Everything that is neither a pair nor a query slot is blank.
            var used = Enumerable.Range(16, 47).Where(j => e.Scored[j]).SelectMany(j => new[] { j, j + 1 }).ToHashSet();
            Assert.All(Enumerable.Range(16, 48).Where(j => !used.Contains(j)), j => Assert.Equal(task.Blank, e.Tokens[j]));
        }
    }

    [Fact]
    public void MqarQueryGapsFollowThePowerLaw()
    {
        // a = 0.01 concentrates queries in the first slots; a = 1 spreads them evenly.
        double MeanSlot(double a)
        {
            var task = new MqarTask(Task("task.seq_len=216", "task.num_pairs=4", "task.num_queries=1", $"task.query_gap_power={a}"), 1);
            return Examples(task, 400).Average(e => (Array.IndexOf(e.Scored, true) - 8) / 2.0);
        }
        var skewed = MeanSlot(0.01);
        var uniform = MeanSlot(1.0);
        Assert.InRange(uniform, 40, 60);          // 100 slots, mean 49.5
        Assert.True(skewed < uniform / 2, $"mean slot {skewed} with a=0.01 vs {uniform} with a=1");
    }

    [Fact]
    public void MqarRejectsASequenceTooShortForItsQueries()
    {
        var e = Assert.Throws<ConfigException>(() => new MqarTask(Task("task.seq_len=20", "task.num_pairs=8"), 1));
        Assert.Contains("'task.seq_len'", e.Message);
        e = Assert.Throws<ConfigException>(() => new MqarTask(Task("task.seq_len=64", "task.num_pairs=8", "task.num_queries=9"), 1));
        Assert.Contains("'task.num_queries'", e.Message);
    }

    [Theory]
    [InlineData("selective_copy")]
    [InlineData("repeat_copy")]
    [InlineData("associative_recall")]
    [InlineData("mqar")]
    public void BatchesAreDeterministicInSeedAndStep(string name)
    {
        var config = Task($"task.name={name}", "task.seq_len=32", "task.eval_examples=10");
        var a = TaskRegistry.Create(config, 5);
        var b = TaskRegistry.Create(config, 5);
        using var scope = NewDisposeScope();
        var x = a.TrainBatch(3, 4, CPU);
        var y = b.TrainBatch(3, 4, CPU);
        var z = a.TrainBatch(4, 4, CPU);
        Assert.True(x.Inputs.eq(y.Inputs).all().item<bool>());
        Assert.True(x.LossMask!.eq(y.LossMask!).all().item<bool>());
        Assert.False(x.Inputs.eq(z.Inputs).all().item<bool>());
        Assert.Equal(a.Spec.MaxLength, x.Inputs.shape[1]);
        Assert.True(x.Inputs.max().item<long>() < a.Spec.VocabSize);
        Assert.Equal(10, a.EvalBatches(4, CPU).Sum(batch => batch.Size));
    }

    [Fact]
    public void DistinctSamplingIsUniform()
    {
        var random = new SeededRandom(3);
        var counts = new int[10];
        for (var i = 0; i < 5000; i++)
        {
            var draw = Sampling.Distinct(random, 10, 3);
            Assert.Equal(3, draw.Distinct().Count());
            counts[draw[0]]++;
        }
        // The first drawn value is uniform over 0..9 (expected 500 each).
        Assert.All(counts, c => Assert.InRange(c, 400, 600));
    }
}
