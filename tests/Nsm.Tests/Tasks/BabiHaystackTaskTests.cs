using System.Text;
using System.Text.RegularExpressions;
using Nsm.Config;
using Nsm.Data;
using Nsm.Tasks;
using Nsm.Tests.Cli;
using Nsm.Tests.Support;

namespace Nsm.Tests.Tasks;

/// <summary>
/// The bAbI-in-haystack generator, checked by code that reads an example back from its tokens alone
/// (it finds the markers and parses the sentences itself) and answers the question by replaying the
/// facts, with none of the generator's code; plus seeds, bad settings and evaluation at other lengths.
/// </summary>
public sealed partial class BabiHaystackTaskTests
{
    const long FactMarker = 256;
    const long QueryMarker = 257;

    static TaskConfig Task(params string[] overrides) =>
        ConfigLoader.FromOverrides(["task.name=babi-haystack", .. overrides]).Task;

    static List<SequenceExample> Examples(BabiHaystackTask task, int count, long stream = 3)
    {
        var random = new SeededRandom(5, stream);
        return Enumerable.Range(0, count).Select(_ => task.Generate(random)).ToList();
    }

    /// <summary>An example as read from its tokens: the facts (where each starts and its text), the question and the answer.</summary>
    sealed record ReadBack(List<(int At, int End, string Text)> Facts, int QueryAt, string Question, string Answer);

    static string Text(long[] tokens, int from, int to)
    {
        var text = new StringBuilder();
        for (var i = from; i < to; i++)
        {
            Assert.InRange(tokens[i], 32, 126);                   // printable ASCII: no marker inside a sentence
            text.Append((char)tokens[i]);
        }
        return text.ToString();
    }

    static ReadBack Read(long[] tokens)
    {
        var query = Assert.Single(Enumerable.Range(0, tokens.Length), i => tokens[i] == QueryMarker);
        var facts = new List<(int, int, string)>();
        for (var i = 0; i < tokens.Length; i++)
        {
            if (tokens[i] != FactMarker) continue;
            var period = Array.IndexOf(tokens, (long)'.', i + 1);
            Assert.True(period > i && period < query, $"the fact at {i} has no period before the question");
            facts.Add((i, period + 1, Text(tokens, i + 1, period + 1)));
        }
        var mark = Array.IndexOf(tokens, (long)'?', query + 1);
        Assert.True(mark > query, "the question has no question mark");
        Assert.Equal((long)' ', tokens[mark + 1]);
        return new ReadBack(facts, query, Text(tokens, query + 1, mark + 1), Text(tokens, mark + 2, tokens.Length));
    }

    [GeneratedRegex(@"^([A-Z][a-z]+) (moved to|went to|travelled to|journeyed to|went back to) the ([a-z]+)\.$")]
    private static partial Regex Move();

    [GeneratedRegex(@"^([A-Z][a-z]+) (got|picked up|grabbed|took) the ([a-z]+) there\.$")]
    private static partial Regex Take();

    [GeneratedRegex(@"^([A-Z][a-z]+) (dropped|discarded|put down|left) the ([a-z]+)\.$")]
    private static partial Regex Drop();

    /// <summary>
    /// Replays the facts in the order they appear and answers the question: a person is where they
    /// last moved; an object is where it was picked up, then wherever its holder moves until dropped.
    /// Statements that cannot happen in that order (moving to where one is, taking what another
    /// holds, dropping what one does not hold) fail, so facts out of order are caught.
    /// </summary>
    static string Answer(IReadOnlyList<string> facts, string question)
    {
        var place = new Dictionary<string, string>();
        var holder = new Dictionary<string, string>();
        var history = new Dictionary<string, List<string>>();
        void Visit(string obj, string where)
        {
            if (!history.TryGetValue(obj, out var h)) history[obj] = h = [];
            if (h.Count == 0 || h[^1] != where) h.Add(where);
        }
        foreach (var fact in facts)
        {
            if (Move().Match(fact) is { Success: true } move)
            {
                var (who, to) = (move.Groups[1].Value, move.Groups[3].Value);
                Assert.NotEqual(to, place.GetValueOrDefault(who));
                place[who] = to;
                foreach (var (obj, by) in holder) if (by == who) Visit(obj, to);
            }
            else if (Take().Match(fact) is { Success: true } take)
            {
                var (who, obj) = (take.Groups[1].Value, take.Groups[3].Value);
                Assert.True(place.ContainsKey(who), $"'{fact}' before {who} went anywhere");
                Assert.False(holder.ContainsKey(obj), $"'{fact}' while {obj} is held");
                holder[obj] = who;
                Visit(obj, place[who]);
            }
            else if (Drop().Match(fact) is { Success: true } drop)
            {
                Assert.Equal(drop.Groups[1].Value, holder.GetValueOrDefault(drop.Groups[3].Value));
                holder.Remove(drop.Groups[3].Value);
            }
            else
            {
                Assert.Fail($"not a bAbI statement: '{fact}'");
            }
        }
        if (Regex.Match(question, @"^Where is ([A-Z][a-z]+)\?$") is { Success: true } person) return place[person.Groups[1].Value];
        if (Regex.Match(question, @"^Where is the ([a-z]+)\?$") is { Success: true } thing) return history[thing.Groups[1].Value][^1];
        var before = Regex.Match(question, @"^Where was the ([a-z]+) before the ([a-z]+)\?$");
        Assert.True(before.Success, $"not a bAbI question: '{question}'");
        var places = history[before.Groups[1].Value];
        var at = places.IndexOf(before.Groups[2].Value);
        Assert.True(at > 0 && places.LastIndexOf(before.Groups[2].Value) == at, $"'{question}' is ambiguous or unanswerable");
        return places[at - 1];
    }

    [Theory]
    [InlineData(1, 512, 6, 32)]
    [InlineData(1, 194, 4, 32)]                                  // the shortest length these allow
    [InlineData(2, 400, 5, 20)]
    [InlineData(3, 700, 8, 64)]
    [InlineData(3, 240, 4, 16)]
    [InlineData(3, 200, 3, 16)]                                  // the fewest statements task 3 allows
    public void FactsAppearInOrderFarFromTheQuestionAndAnswerIt(int babiTask, int seqLen, int maxSentences, int minDistance)
    {
        var config = Task($"task.babi_task={babiTask}", $"task.seq_len={seqLen}", $"task.max_sentences={maxSentences}", $"task.min_distance={minDistance}");
        var task = new BabiHaystackTask(config, 1);
        var answers = new HashSet<string>();
        foreach (var e in Examples(task, 200))
        {
            Assert.Equal(seqLen, e.Tokens.Length);
            var read = Read(e.Tokens);
            Assert.InRange(read.Facts.Count, 2, maxSentences);
            // Task 1 asks after every second move: the story is the latest even count of moves within max_sentences (at most 5 questions).
            if (babiTask == 1) Assert.Equal(Math.Min(10, maxSentences / 2 * 2), read.Facts.Count);
            for (var i = 1; i < read.Facts.Count; i++) Assert.True(read.Facts[i].At >= read.Facts[i - 1].End, "facts overlap");
            // The bounds the shortest length is computed from hold for every sentence.
            Assert.All(read.Facts, f => Assert.InRange(f.Text.Length, 1, Nsm.Data.Babi.BabiGenerator.LongestStatement(babiTask)));
            Assert.InRange(read.Question.Length, 1, Nsm.Data.Babi.BabiGenerator.LongestQuestion(babiTask));
            Assert.InRange(read.Answer.Length, 1, Nsm.Data.Babi.BabiGenerator.LongestAnswer);
            Assert.True(read.QueryAt - read.Facts[^1].End >= minDistance, $"the last fact ends {read.QueryAt - read.Facts[^1].End} tokens before the question");
            Assert.Equal(Answer(read.Facts.Select(f => f.Text).ToList(), read.Question), read.Answer);
            answers.Add(read.Answer);
            // Exactly the answer word's bytes are scored, and they end the example.
            var scored = Enumerable.Range(0, seqLen - 1).Where(j => e.Scored[j]).ToArray();
            Assert.Equal(Enumerable.Range(seqLen - 1 - read.Answer.Length, read.Answer.Length), scored);
            Assert.Equal(read.Answer, string.Concat(scored.Select(j => (char)e.Tokens[j + 1])));
        }
        Assert.True(answers.Count >= 4, $"only {answers.Count} distinct answers");
    }

    [Fact]
    public void TheTaskNumberDecidesTheQuestion()
    {
        string[] Questions(int babiTask) => Examples(new BabiHaystackTask(Task($"task.babi_task={babiTask}", "task.seq_len=600", "task.max_sentences=8"), 1), 30)
            .Select(e => Read(e.Tokens).Question).ToArray();
        Assert.All(Questions(1), q => Assert.Matches(@"^Where is [A-Z][a-z]+\?$", q));
        Assert.All(Questions(2), q => Assert.Matches(@"^Where is the [a-z]+\?$", q));
        Assert.All(Questions(3), q => Assert.Matches(@"^Where was the [a-z]+ before the [a-z]+\?$", q));
    }

    [Fact]
    public void TheFirstFactSitsAtTheDrawnDepthAndTheOthersSpreadAfterIt()
    {
        var settings = new[] { "task.seq_len=400", "task.max_sentences=4", "task.min_distance=20", "task.filler_path=" };
        var spread = Examples(new BabiHaystackTask(Task(settings), 1), 500).Select(e => Read(e.Tokens)).ToList();
        // Depth uniform in [0, 1]: the story starts anywhere from the first token to as late as it fits.
        Assert.Contains(spread, r => r.Facts[0].At == 0);
        Assert.Contains(spread, r => r.Facts[0].At > 200);
        Assert.Contains(spread, r => r.QueryAt - r.Facts[^1].End == 20);
        Assert.Contains(spread, r => r.QueryAt - r.Facts[^1].End > 100);

        var early = new BabiHaystackTask(Task([.. settings, "task.depth_min=0", "task.depth_max=0"]), 1);
        Assert.All(Examples(early, 30), e => Assert.Equal(FactMarker, e.Tokens[0]));
        // Depth 1: the story packed together, its last fact ending exactly min_distance before the question.
        var late = new BabiHaystackTask(Task([.. settings, "task.depth_min=1", "task.depth_max=1"]), 1);
        foreach (var e in Examples(late, 30))
        {
            var read = Read(e.Tokens);
            for (var i = 1; i < read.Facts.Count; i++) Assert.Equal(read.Facts[i - 1].End, read.Facts[i].At);
            Assert.Equal(20, read.QueryAt - read.Facts[^1].End);
        }
    }

    [Fact]
    public void NoiseFillerIsLettersAndSpacesAndTextFillerIsAContiguousStretchOfTheFile()
    {
        var noise = new BabiHaystackTask(Task("task.seq_len=300", "task.max_sentences=4", "task.min_distance=20"), 1);
        foreach (var e in Examples(noise, 20))
        {
            var read = Read(e.Tokens);
            foreach (var i in FillerPositions(read, e.Tokens.Length)) Assert.True(e.Tokens[i] == ' ' || e.Tokens[i] is >= (long)'a' and <= (long)'z');
        }

        using var dir = TestConfigs.TempDir();
        var text = string.Concat(Enumerable.Range(0, 40).Select(i => $"line {i} of the filler, with numbers {i * 7}.\n"));
        File.WriteAllText(dir.Sub("filler.txt"), text);
        var bytes = Encoding.ASCII.GetBytes(text);
        var task = new BabiHaystackTask(Task("task.seq_len=300", "task.max_sentences=4", "task.min_distance=20", $"task.filler_path={dir.Sub("filler.txt")}"), 1);
        foreach (var e in Examples(task, 20))
        {
            var filler = FillerPositions(Read(e.Tokens), e.Tokens.Length).ToList();
            Assert.Contains(Enumerable.Range(0, bytes.Length), o => filler.All(i => e.Tokens[i] == bytes[(o + i) % bytes.Length]));
        }
    }

    static IEnumerable<int> FillerPositions(ReadBack read, int length) =>
        Enumerable.Range(0, read.QueryAt).Where(i => !read.Facts.Any(f => i >= f.At && i < f.End));

    [Fact]
    public void ExamplesAreFixedBySeedAndTrainingNeverSeesTheEvaluationSet()
    {
        using var dir = TestConfigs.TempDir();
        File.WriteAllText(dir.Sub("filler.txt"), string.Concat(Enumerable.Range(0, 200).Select(i => $"line {i} of a longer filler text.\n")));
        var config = Task("task.seq_len=240", "task.max_sentences=4", "task.min_distance=20", "task.eval_examples=64", $"task.filler_path={dir.Sub("filler.txt")}");
        string Key(long[] row) => string.Join(",", row);
        List<string> Rows(ITask task, long step)
        {
            var batch = task.TrainBatch(step, 8, TorchSharp.torch.CPU);
            return Enumerable.Range(0, 8).Select(i => Key(batch.Inputs[i].data<long>().ToArray())).ToList();
        }
        List<string> EvalRows(ITask task) =>
            task.EvalBatches(16, TorchSharp.torch.CPU).SelectMany(b => Enumerable.Range(0, (int)b.Inputs.shape[0]).Select(i => Key(b.Inputs[i].data<long>().ToArray()))).ToList();

        var (a, b, other) = (new BabiHaystackTask(config, 7), new BabiHaystackTask(config, 7), new BabiHaystackTask(config, 8));
        Assert.Equal(Rows(a, 3), Rows(b, 3));
        Assert.Equal(EvalRows(a), EvalRows(b));
        Assert.NotEqual(Rows(a, 3), Rows(a, 4));
        Assert.NotEqual(Rows(a, 3), Rows(other, 3));
        Assert.NotEqual(EvalRows(a), EvalRows(other));
        var eval = EvalRows(a).ToHashSet();
        Assert.Equal(64, eval.Count);
        var train = Enumerable.Range(0, 50).SelectMany(step => Rows(a, step)).ToList();
        Assert.DoesNotContain(train, eval.Contains);
    }

    [Theory]
    [InlineData("task.babi_task=4")]
    [InlineData("task.babi_task=0")]
    [InlineData("task.seq_len=193", "task.max_sentences=4", "task.min_distance=32")]
    [InlineData("task.seq_len=600", "task.babi_task=3", "task.max_sentences=2")]
    [InlineData("task.max_sentences=1")]
    [InlineData("task.filler_path=/nonexistent/filler.txt")]
    [InlineData("task.depth_min=0.8", "task.depth_max=0.2")]
    public void BadSettingsGiveOneLineNamingTheKeyAndExitCodeTwo(params string[] overrides)
    {
        using var dir = TestConfigs.TempDir();
        var args = new List<string> { "train", "--preset", "babi-haystack-nsm", "--out", dir.Sub("run"), "--set", "train.steps=1" };
        foreach (var o in new[] { "task.filler_path=" }.Concat(overrides)) { args.Add("--set"); args.Add(o); }
        var result = CliHarness.Run([.. args]);
        Assert.Equal(2, result.Code);
        var line = Assert.Single(result.ErrorLines);
        var key = overrides.Select(o => o[..o.IndexOf('=')]).ToArray();
        Assert.True(key.Any(k => line.Contains($"'{k}'")), $"'{line}' names none of {string.Join(", ", key)}");
        Assert.False(File.Exists(Path.Combine(dir.Sub("run"), "model.safetensors")));
    }

    [Fact]
    public void TheShortestLengthIsTheBoundValidationUses()
    {
        Assert.Equal(194, BabiHaystackTask.MinimumLength(1, 4, 32));
        // At exactly that length the longest stories still fit, for every task.
        foreach (var babiTask in new[] { 1, 2, 3 })
        {
            var length = BabiHaystackTask.MinimumLength(babiTask, 5, 10);
            var task = new BabiHaystackTask(Task($"task.babi_task={babiTask}", $"task.seq_len={length}", "task.max_sentences=5", "task.min_distance=10"), 1);
            Assert.All(Examples(task, 100), e => Assert.Equal(length, e.Tokens.Length));
            Assert.Throws<Nsm.Core.ConfigException>(() => new BabiHaystackTask(Task($"task.babi_task={babiTask}", $"task.seq_len={length - 1}", "task.max_sentences=5", "task.min_distance=10"), 1));
        }
    }

    [Fact]
    public void EvalAtALongerLengthAndOverAGridWorksThroughTheCli()
    {
        using var dir = TestConfigs.TempDir();
        var run = dir.Sub("run");
        var train = CliHarness.Run("train", "--preset", "babi-haystack-nsm", "--out", run, "--set", "task.filler_path=", "--set", "task.seq_len=200",
            "--set", "task.max_sentences=4", "--set", "task.min_distance=20", "--set", "train.steps=2", "--set", "model.d_model=16",
            "--set", "train.eval_every=0", "--set", "train.threads=1");
        Assert.Equal(0, train.Code);
        var eval = CliHarness.Run("eval", "--checkpoint", run, "--set", "task.seq_len=400", "--set", "task.eval_examples=4");
        Assert.Equal(0, eval.Code);
        using var json = System.Text.Json.JsonDocument.Parse(eval.Output);
        Assert.InRange(json.RootElement.GetProperty("accuracy").GetDouble(), 0, 1);
        Assert.Equal(400, json.RootElement.GetProperty("seq_len").GetInt32());
        Assert.True(json.RootElement.GetProperty("exact_match").GetBoolean());

        var grid = CliHarness.Run("eval", "--checkpoint", run, "--set", "task.eval_examples=4", "--lengths", "200,300", "--depths", "0,1", "--piece", "64");
        Assert.Equal(0, grid.Code);
        using var gridJson = System.Text.Json.JsonDocument.Parse(grid.Output);
        var cells = gridJson.RootElement.GetProperty("grid").EnumerateArray().ToArray();
        Assert.Equal([(200, 0.0), (300, 0.0), (200, 1.0), (300, 1.0)], cells.Select(c => (c.GetProperty("seq_len").GetInt32(), c.GetProperty("depth").GetDouble())));
    }
}
