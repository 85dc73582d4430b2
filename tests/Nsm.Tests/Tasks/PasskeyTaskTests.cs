using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Data;
using Nsm.Tasks;
using Nsm.Tests.Cli;
using Nsm.Tests.Support;
using Nsm.Training;

namespace Nsm.Tests.Tasks;

/// <summary>
/// The passkey generator, checked by code that only reads the tokens (it finds the markers
/// itself), the exact-match score, bad settings, and evaluation at a longer length than training.
/// </summary>
public sealed class PasskeyTaskTests
{
    static TaskConfig Task(params string[] overrides) =>
        ConfigLoader.FromOverrides(["task.name=passkey", .. overrides]).Task;

    static List<SequenceExample> Examples(PasskeyTask task, int count)
    {
        var random = new SeededRandom(5, 3);
        return Enumerable.Range(0, count).Select(_ => task.Generate(random)).ToList();
    }

    [Theory]
    [InlineData(100, 5, 20)]
    [InlineData(301, 3, 64)]
    [InlineData(32, 7, 16)]
    public void TheNeedleIsStatedOnceOutsideTheQuestionsWindowAndIsTheScoredAnswer(int seqLen, int digits, int minDistance)
    {
        var task = new PasskeyTask(Task($"task.seq_len={seqLen}", $"task.passkey_digits={digits}", $"task.min_distance={minDistance}"), 1);
        foreach (var e in Examples(task, 300))
        {
            Assert.Equal(seqLen, e.Tokens.Length);
            var needles = Enumerable.Range(0, seqLen).Where(i => e.Tokens[i] == PasskeyTask.Needle).ToArray();
            var queries = Enumerable.Range(0, seqLen).Where(i => e.Tokens[i] == PasskeyTask.Query).ToArray();
            Assert.Single(needles);
            Assert.Single(queries);
            var (n, q) = (needles[0], queries[0]);
            Assert.Equal(seqLen - digits - 1, q);
            Assert.True(q - (n + digits + 1) >= minDistance, $"needle at {n} ends {q - (n + digits + 1)} tokens before the question");
            var key = e.Tokens[(n + 1)..(n + 1 + digits)];
            Assert.All(key, t => Assert.InRange(t, '0', '9'));
            Assert.Equal(key, e.Tokens[(q + 1)..]);
            var scored = Enumerable.Range(0, e.Scored.Length).Where(j => e.Scored[j]).Select(j => e.Tokens[j + 1]).ToArray();
            Assert.Equal(key, scored);
            // Noise filler shares the passkey's vocabulary: digits only.
            Assert.All(e.Tokens.Where((_, i) => i != n && i != q), t => Assert.InRange(t, '0', '9'));
        }
    }

    [Theory]
    [InlineData(200, 5, 20, 3, 0.0, 1.0)]
    [InlineData(400, 3, 64, 4, 0.5, 0.5)]
    [InlineData(72, 2, 20, 6, 0.0, 0.0)]                        // the shortest length six keys allow: the placement is crowded
    public void MultiKeyNeedlesHaveDistinctNamesAndTheQuestionAsksTheOneAtTheDrawnDepth(int seqLen, int digits, int minDistance, int keys, double depthMin, double depthMax)
    {
        var task = new PasskeyTask(Task($"task.seq_len={seqLen}", $"task.passkey_digits={digits}", $"task.min_distance={minDistance}",
            $"task.passkey_keys={keys}", $"task.depth_min={depthMin}", $"task.depth_max={depthMax}"), 1);
        var n = digits + 2;
        foreach (var e in Examples(task, 200))
        {
            Assert.Equal(seqLen, e.Tokens.Length);
            // Read the example as a user would: markers, then a letter, then digits.
            var needles = Enumerable.Range(0, seqLen).Where(i => e.Tokens[i] == PasskeyTask.Needle).ToArray();
            var query = Assert.Single(Enumerable.Range(0, seqLen), i => e.Tokens[i] == PasskeyTask.Query);
            Assert.Equal(keys, needles.Length);
            Assert.Equal(seqLen - n, query);
            var names = needles.Select(i => e.Tokens[i + 1]).ToArray();
            Assert.All(names, c => Assert.InRange(c, 'a', 'z'));
            Assert.Equal(keys, names.Distinct().Count());
            foreach (var at in needles)
            {
                Assert.All(e.Tokens[(at + 2)..(at + n)], d => Assert.InRange(d, '0', '9'));
                Assert.True(query - (at + n) >= minDistance, $"a needle ends {query - (at + n)} tokens before the question");
                // Needles never overlap: the next marker comes after this needle's digits.
                Assert.DoesNotContain(needles, other => other > at && other < at + n);
            }
            var asked = Array.FindIndex(names, c => c == e.Tokens[query + 1]);
            Assert.True(asked >= 0, "the question names one of the needles");
            Assert.Equal(e.Tokens[(needles[asked] + 2)..(needles[asked] + n)], e.Tokens[(query + 2)..]);
            if (depthMin == depthMax)
                Assert.Equal((int)Math.Round(depthMin * task.LatestNeedleStart), needles[asked]);
            // Exactly the k answer digits are scored: the targets after QUERY name.
            Assert.Equal(Enumerable.Range(query + 1, digits), Enumerable.Range(0, seqLen - 1).Where(j => e.Scored[j]));
        }
    }

    [Theory]
    [InlineData(200, 5, 20, 1, 3, false)]
    [InlineData(300, 3, 40, 4, 2, false)]
    [InlineData(50, 2, 10, 2, 3, true)]                          // the shortest length these allow: crowded
    public void MultiValueNeedlesAreAllAnsweredInTheOrderTheyAppear(int seqLen, int digits, int minDistance, int keys, int values, bool shortest)
    {
        var task = new PasskeyTask(Task($"task.seq_len={seqLen}", $"task.passkey_digits={digits}", $"task.min_distance={minDistance}",
            $"task.passkey_keys={keys}", $"task.passkey_values={values}"), 1);
        if (shortest) Assert.Equal(seqLen, PasskeyTask.MinimumLength(digits, minDistance, keys, values));
        var named = keys > 1 ? 1 : 0;
        var n = 1 + named + digits;
        var seenOrders = new HashSet<string>();
        foreach (var e in Examples(task, 200))
        {
            Assert.Equal(seqLen, e.Tokens.Length);
            var needles = Enumerable.Range(0, seqLen).Where(i => e.Tokens[i] == PasskeyTask.Needle).ToArray();
            var query = Assert.Single(Enumerable.Range(0, seqLen), i => e.Tokens[i] == PasskeyTask.Query);
            Assert.Equal(keys - 1 + values, needles.Length);
            Assert.Equal(seqLen - (1 + named + values * digits), query);
            // The asked key's needles, read from the tokens: those carrying the question's name (all of them with one key).
            var asked = needles.Where(at => named == 0 || e.Tokens[at + 1] == e.Tokens[query + 1]).ToArray();
            Assert.Equal(values, asked.Length);
            foreach (var at in needles)
            {
                Assert.All(e.Tokens[(at + 1 + named)..(at + n)], d => Assert.InRange(d, '0', '9'));
                Assert.True(query - (at + n) >= minDistance, $"a needle ends {query - (at + n)} tokens before the question");
                Assert.DoesNotContain(needles, other => other > at && other < at + n);
            }
            // The answer: every value of the asked key, in the order of the needles in the text.
            var expected = asked.OrderBy(at => at).SelectMany(at => e.Tokens[(at + 1 + named)..(at + n)]).ToArray();
            Assert.Equal(expected, e.Tokens[(query + 1 + named)..]);
            var scored = Enumerable.Range(0, seqLen - 1).Where(j => e.Scored[j]).Select(j => e.Tokens[j + 1]).ToArray();
            Assert.Equal(expected, scored);
            seenOrders.Add(string.Join(",", asked.Select(at => Array.IndexOf(needles, at))));
        }
        // The asked key's needles are not always first: distractors fall between and before them.
        if (keys > 1) Assert.True(seenOrders.Count > 1, "the asked needles sat at the same ranks in every example");
    }

    [Fact]
    public void DepthsSpreadUniformlyAndTheDepthRangeIsKept()
    {
        var task = new PasskeyTask(Task("task.seq_len=200", "task.min_distance=10"), 1);
        var starts = Examples(task, 2000).Select(e => Array.IndexOf(e.Tokens, PasskeyTask.Needle)).ToArray();
        Assert.Equal(0, starts.Min());
        Assert.Equal(task.LatestNeedleStart, starts.Max());
        // Each quarter of the depth range holds about a quarter of the needles.
        var quarters = starts.GroupBy(s => Math.Min(3, 4 * s / (task.LatestNeedleStart + 1))).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(Enumerable.Range(0, 4), k => Assert.InRange(quarters[k], 400, 600));

        var early = new PasskeyTask(Task("task.seq_len=200", "task.min_distance=10", "task.depth_min=0", "task.depth_max=0"), 1);
        Assert.All(Examples(early, 20), e => Assert.Equal(PasskeyTask.Needle, e.Tokens[0]));
        var late = new PasskeyTask(Task("task.seq_len=200", "task.min_distance=10", "task.depth_min=1", "task.depth_max=1"), 1);
        Assert.All(Examples(late, 20), e => Assert.Equal(PasskeyTask.Needle, e.Tokens[late.LatestNeedleStart]));
    }

    [Fact]
    public void TextFillerIsAContiguousStretchOfTheFile()
    {
        using var dir = TestConfigs.TempDir();
        var text = string.Concat(Enumerable.Range(0, 50).Select(i => $"line {i} of the filler.\n"));
        File.WriteAllText(dir.Sub("filler.txt"), text);
        var bytes = System.Text.Encoding.ASCII.GetBytes(text);
        var task = new PasskeyTask(Task("task.seq_len=120", "task.min_distance=20", $"task.filler_path={dir.Sub("filler.txt")}"), 1);
        foreach (var e in Examples(task, 50))
        {
            var n = Array.IndexOf(e.Tokens, PasskeyTask.Needle);
            bool IsFiller(int i) => i < n || (i > n + 5 && i < e.Tokens.Length - 6);
            var offsets = Enumerable.Range(0, bytes.Length).Where(o =>
                Enumerable.Range(0, e.Tokens.Length).Where(IsFiller).All(i => e.Tokens[i] == bytes[(o + i) % bytes.Length]));
            Assert.NotEmpty(offsets);
        }
    }

    [Fact]
    public void ExactMatchCountsAnExampleOnlyWhenEveryScoredTargetIsRight()
    {
        var targets = tensor(new long[] { 1, 2, 3, 1, 2, 3, 0, 0, 0 }, [3, 3]);
        var mask = tensor(new[] { false, true, true, false, true, true, false, false, false }, [3, 3]);
        // Row 0: both scored positions right; row 1: the last scored one wrong; row 2: nothing scored.
        var predicted = tensor(new long[] { 0, 2, 3, 1, 2, 0, 1, 1, 1 }, [3, 3]);
        var logits = nn.functional.one_hot(predicted, 4).to(float32);
        var (correct, examples) = Evaluator.ExactMatches(logits, new Batch(targets, targets, mask));
        Assert.Equal(1, correct);
        Assert.Equal(2, examples);
    }

    [Theory]
    [InlineData("task.depth_min=1.5")]
    [InlineData("task.depth_min=0.8", "task.depth_max=0.2")]
    [InlineData("task.filler_path=/nonexistent/filler.txt")]
    [InlineData("task.seq_len=20", "task.min_distance=16")]
    [InlineData("task.seq_len=100", "task.min_distance=20", "task.passkey_keys=6")]
    [InlineData("task.passkey_keys=27")]
    [InlineData("task.passkey_values=0")]
    [InlineData("task.seq_len=100", "task.min_distance=40", "task.passkey_values=4")]
    public void BadSettingsGiveOneLineAndExitCodeTwo(params string[] overrides)
    {
        using var dir = TestConfigs.TempDir();
        var args = new List<string> { "train", "--preset", "passkey-nsm", "--out", dir.Sub("run"), "--set", "train.steps=1" };
        foreach (var o in new[] { "task.filler_path=" }.Concat(overrides)) { args.Add("--set"); args.Add(o); }
        var result = CliHarness.Run([.. args]);
        Assert.Equal(2, result.Code);
        Assert.Single(result.ErrorLines);
        Assert.Contains("task.", result.Error);
        Assert.False(File.Exists(Path.Combine(dir.Sub("run"), "model.safetensors")));
    }

    [Fact]
    public void EvalAtALongerLengthThanTrainingWorksThroughTheCli()
    {
        using var dir = TestConfigs.TempDir();
        var run = dir.Sub("run");
        var train = CliHarness.Run("train", "--preset", "passkey-nsm", "--out", run, "--set", "task.filler_path=", "--set", "task.seq_len=96",
            "--set", "task.min_distance=20", "--set", "train.steps=2", "--set", "model.d_model=16", "--set", "train.eval_every=0", "--set", "train.threads=1");
        Assert.Equal(0, train.Code);
        var eval = CliHarness.Run("eval", "--checkpoint", run, "--set", "task.seq_len=300", "--set", "task.eval_examples=4");
        Assert.Equal(0, eval.Code);
        using var json = System.Text.Json.JsonDocument.Parse(eval.Output);
        var accuracy = json.RootElement.GetProperty("accuracy").GetDouble();
        Assert.InRange(accuracy, 0, 1);
        Assert.Equal(300, json.RootElement.GetProperty("seq_len").GetInt32());
        Assert.Equal(4 * 5, json.RootElement.GetProperty("count").GetInt64());

        // Streaming 7 tokens at a time scores exactly what one call scores.
        var streamed = CliHarness.Run("eval", "--checkpoint", run, "--set", "task.seq_len=300", "--set", "task.eval_examples=4", "--piece", "7", "--batch", "3");
        Assert.Equal(0, streamed.Code);
        using var streamedJson = System.Text.Json.JsonDocument.Parse(streamed.Output);
        Assert.Equal(accuracy, streamedJson.RootElement.GetProperty("accuracy").GetDouble());
        Assert.Equal(json.RootElement.GetProperty("loss").GetDouble(), streamedJson.RootElement.GetProperty("loss").GetDouble(), 4);
        Assert.Equal(7, streamedJson.RootElement.GetProperty("piece").GetInt32());

        // The loss by position too: the model reads the first 299 of the 300 tokens and the answer
        // digits are its last 5 targets, all in the bucket [256, 299).
        var buckets = json.RootElement.GetProperty("loss_by_position").EnumerateArray().ToArray();
        var streamedBuckets = streamedJson.RootElement.GetProperty("loss_by_position").EnumerateArray().ToArray();
        var only = Assert.Single(buckets);
        Assert.Equal(256, only.GetProperty("from").GetInt64());
        Assert.Equal(299, only.GetProperty("to").GetInt64());
        Assert.Equal(4 * 5, only.GetProperty("tokens").GetInt64());
        Assert.Equal(only.GetProperty("loss").GetDouble(), Assert.Single(streamedBuckets).GetProperty("loss").GetDouble(), 4);
    }

    [Fact]
    public void StreamingEvaluationEqualsOneCallOnATrainedLanguageModelToo()
    {
        // A per-token task scored by tokens (not exact match), with padding-free batches.
        using var dir = TestConfigs.TempDir();
        var run = dir.Sub("run");
        Assert.Equal(0, CliHarness.Run("train", "--preset", "mqar-nsm", "--out", run, "--set", "train.steps=3", "--set", "model.d_model=16",
            "--set", "model.num_states=4", "--set", "train.eval_every=0", "--set", "train.threads=1").Code);
        var whole = CliHarness.Run("eval", "--checkpoint", run, "--set", "task.eval_examples=8");
        var streamed = CliHarness.Run("eval", "--checkpoint", run, "--set", "task.eval_examples=8", "--piece", "5");
        using var a = System.Text.Json.JsonDocument.Parse(whole.Output);
        using var b = System.Text.Json.JsonDocument.Parse(streamed.Output);
        Assert.Equal(a.RootElement.GetProperty("loss").GetDouble(), b.RootElement.GetProperty("loss").GetDouble(), 4);
        Assert.Equal(a.RootElement.GetProperty("accuracy").GetDouble(), b.RootElement.GetProperty("accuracy").GetDouble());
        Assert.False(b.RootElement.GetProperty("exact_match").GetBoolean());
    }

    [Fact]
    public void StreamingAModelThatCannotStreamIsAUsageError()
    {
        using var dir = TestConfigs.TempDir();
        var run = dir.Sub("run");
        Assert.Equal(0, CliHarness.Run("train", "--preset", "listops-transformer", "--out", run, "--set", "model.kind=linformer", "--set", "train.steps=1",
            "--set", "task.min_length=5", "--set", "task.max_length=40", "--set", "task.num_train=40", "--set", "task.eval_examples=8",
            "--set", "model.d_model=16", "--set", "train.eval_every=0", "--set", "train.threads=1").Code);
        var result = CliHarness.Run("eval", "--checkpoint", run, "--piece", "4");
        Assert.Equal(2, result.Code);
        Assert.Contains("cannot stream", Assert.Single(result.ErrorLines));
    }
}
