using System.Globalization;
using static TorchSharp.torch;
using Nsm.Benchmarks;
using Nsm.Config;
using Nsm.Core;
using Nsm.Data;
using Nsm.Data.ListOps;
using Nsm.Tasks;

namespace Nsm.Tests.Data;

public sealed class ListOpsTests
{
    /// <summary>
    /// An evaluator written independently of <see cref="ListOpsNode.Evaluate"/>: one pass over the
    /// flat token list with an explicit stack of open operators, as a calculator would read it.
    /// Also returns the deepest nesting and the largest and smallest argument counts seen.
    /// </summary>
    static (int Value, int Depth, int MinArgs, int MaxArgs) StackEvaluate(IReadOnlyList<string> tokens)
    {
        var open = new Stack<(string Op, List<int> Args)>();
        int? result = null;
        int depth = 0, minArgs = int.MaxValue, maxArgs = 0;
        foreach (var token in tokens)
        {
            Assert.Null(result);                                     // nothing may follow the finished expression
            if (token.StartsWith('['))
            {
                open.Push((token, []));
                depth = Math.Max(depth, open.Count);
                continue;
            }
            int value;
            if (token == "]")
            {
                var (op, args) = open.Pop();
                minArgs = Math.Min(minArgs, args.Count);
                maxArgs = Math.Max(maxArgs, args.Count);
                value = op switch
                {
                    "[MIN" => args.Aggregate(9, Math.Min),
                    "[MAX" => args.Aggregate(0, Math.Max),
                    "[SM" => args.Aggregate(0, (s, x) => (s + x) % 10),
                    "[MED" => Median(args),
                    _ => throw new InvalidOperationException($"unknown operator {op}"),
                };
            }
            else
            {
                value = int.Parse(token, CultureInfo.InvariantCulture);
                Assert.InRange(value, 0, 9);
                depth = Math.Max(depth, open.Count + 1);
            }
            if (open.Count == 0) result = value;
            else open.Peek().Args.Add(value);
        }
        Assert.Empty(open);
        return (result!.Value, depth, minArgs, maxArgs);
    }

    /// <summary>numpy's median of integers, truncated towards zero (LRA: int(np.median(x))).</summary>
    static int Median(List<int> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        var n = sorted.Count;
        var median = n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
        return (int)Math.Truncate(median);
    }

    static string[] Names(int[] ids) => ids.Select(ListOpsVocabulary.Token).ToArray();

    [Fact]
    public void GeneratedLabelsAgreeWithAnIndependentStackEvaluator()
    {
        var data = ListOpsDataset.Generate(7, 400, 50, 50, minLength: 20, maxLength: 120, maxDepth: 10, maxArgs: 10);
        var labels = new HashSet<int>();
        var deepest = 0;
        foreach (var set in new[] { data.Train, data.Validation, data.Test })
        {
            for (var i = 0; i < set.Count; i++)
            {
                var tokens = Names(set.Tokens(i));
                Assert.InRange(tokens.Length, 21, 119);
                var (value, depth, minArgs, maxArgs) = StackEvaluate(tokens);
                Assert.Equal(value, set.Label(i));
                Assert.InRange(depth, 2, 10);
                Assert.True(minArgs >= 2 && maxArgs <= 10, $"argument counts {minArgs}..{maxArgs}");
                labels.Add(value);
                deepest = Math.Max(deepest, depth);
            }
        }
        Assert.Equal(10, labels.Count);
        Assert.True(deepest >= 5, $"deepest tree {deepest}");
    }

    [Fact]
    public void EvaluatorsAgreeOnHandWrittenExpressions()
    {
        // MED of an even count truncates the mean of the middle pair: (2 + 7) / 2 = 4.5 -> 4.
        var cases = new (string Text, int Value)[]
        {
            ("[MAX 2 9 [MIN 4 7 ] 0 ]", 9),
            ("[MED 7 2 9 1 ]", 4),
            ("[MED 3 [SM 9 9 ] 5 ]", 5),
            ("[SM 5 6 [MAX 1 3 ] ]", 4),
            ("[MIN [MED 1 2 ] [MAX 0 0 ] 8 ]", 0),
        };
        foreach (var (text, expected) in cases)
        {
            var tokens = text.Split(' ');
            Assert.Equal(expected, StackEvaluate(tokens).Value);
            Assert.Equal(expected, Parse(tokens).Evaluate());
        }
    }

    /// <summary>Builds the generator's tree type from tokens, to run its own evaluation on hand-written cases.</summary>
    static ListOpsNode Parse(IReadOnlyList<string> tokens)
    {
        var position = 0;
        ListOpsNode Node()
        {
            var token = tokens[position++];
            if (!token.StartsWith('[')) return new ListOpsNode.Value(int.Parse(token, CultureInfo.InvariantCulture));
            var op = token switch { "[MIN" => ListOpsOperator.Min, "[MAX" => ListOpsOperator.Max, "[MED" => ListOpsOperator.Med, _ => ListOpsOperator.SumMod };
            var args = new List<ListOpsNode>();
            while (tokens[position] != "]") args.Add(Node());
            position++;
            return new ListOpsNode.Apply(op, args);
        }
        return Node();
    }

    [Fact]
    public void NodesBelowMaxDepthAreOperatorsWithProbabilityOneQuarter()
    {
        var generator = new ListOpsGenerator(new SeededRandom(3), maxDepth: 4, maxArgs: 10);
        long operators = 0, nodes = 0;
        for (var i = 0; i < 4000; i++)
        {
            var depth = 0;
            foreach (var token in generator.Next(int.MaxValue)!.Tokens())
            {
                if (token == "]") { depth--; continue; }
                // Count nodes above the maximum depth, where the operator coin is thrown.
                if (depth + 1 < 4) { nodes++; if (token.StartsWith('[')) operators++; }
                if (token.StartsWith('[')) depth++;
            }
        }
        var rate = (double)operators / nodes;
        Assert.InRange(rate, 0.23, 0.27);
    }

    [Fact]
    public void SplitsAreDeduplicatedAndDisjoint()
    {
        // Short trees collide often, so deduplication has work to do.
        var data = ListOpsDataset.Generate(1, 300, 40, 40, minLength: 4, maxLength: 12, maxDepth: 3, maxArgs: 3);
        var all = new[] { data.Train, data.Validation, data.Test }
            .SelectMany(set => Enumerable.Range(0, set.Count).Select(i => string.Join(" ", set.Tokens(i))))
            .ToList();
        Assert.Equal(380, all.Count);
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.True(data.Drawn > 380);
    }

    [Fact]
    public void TaskPadsBatchesAndKeepsDataIndependentOfTheTrainingSeed()
    {
        var config = ConfigLoader.FromOverrides(["task.name=listops", "task.min_length=10", "task.max_length=50", "task.num_train=64", "task.eval_examples=20"]).Task;
        var a = new ListOpsTask(config, seed: 1);
        var b = new ListOpsTask(config, seed: 2);
        Assert.Equal(10, a.Spec.NumClasses);
        Assert.False(a.Spec.Causal);
        using var scope = NewDisposeScope();
        var evalA = a.EvalBatches(8, CPU).ToList();
        var evalB = b.EvalBatches(8, CPU).ToList();
        Assert.Equal([8L, 8L, 4L], evalA.Select(x => x.Size));
        Assert.True(evalA[0].Inputs.eq(evalB[0].Inputs).all().item<bool>());
        var batch = a.TrainBatch(0, 16, CPU);
        Assert.NotNull(batch.PaddingMask);
        var lengths = batch.PaddingMask!.sum(1).data<long>().ToArray();
        for (var i = 0; i < 16; i++)
        {
            var row = batch.Inputs[i].data<long>().ToArray();
            Assert.All(row[..(int)lengths[i]], t => Assert.InRange(t, 1, 15));
            Assert.All(row[(int)lengths[i]..], t => Assert.Equal(0, t));
            var (value, _, _, _) = StackEvaluate(Names(row[..(int)lengths[i]].Select(t => (int)t).ToArray()));
            Assert.Equal(value, batch.Targets[i].item<long>());
        }
        // Training order depends on the seed, the data does not: one epoch covers the same examples.
        var epochA = Enumerable.Range(0, 4).SelectMany(s => Rows(a.TrainBatch(s, 16, CPU))).Order().ToList();
        var epochB = Enumerable.Range(0, 4).SelectMany(s => Rows(b.TrainBatch(s, 16, CPU))).Order().ToList();
        Assert.Equal(epochA, epochB);
        Assert.Equal(64, epochA.Distinct().Count());
    }

    static IEnumerable<string> Rows(Batch batch)
    {
        for (var i = 0; i < batch.Size; i++) yield return string.Join(",", batch.Inputs[i].data<long>().ToArray().Where(t => t != 0));
    }
}
