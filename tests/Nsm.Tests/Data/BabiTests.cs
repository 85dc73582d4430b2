using static TorchSharp.torch;
using Nsm.Benchmarks;
using Nsm.Config;
using Nsm.Core;
using Nsm.Data;
using Nsm.Data.Babi;
using Nsm.Tasks;
using Nsm.Tests.Support;

namespace Nsm.Tests.Data;

public sealed class BabiTests
{
    const string Qa1 = """
        1 Mary moved to the bathroom.
        2 John went to the hallway.
        3 Where is Mary? 	bathroom	1
        4 Daniel went back to the hallway.
        5 Sandra moved to the garden.
        6 Where is Daniel? 	hallway	4
        1 Sandra travelled to the office.
        2 Where is Sandra? 	office	1
        """;

    [Fact]
    public void ReaderSplitsStoriesAndQuestions()
    {
        var examples = BabiReader.Parse(Qa1.Split('\n'), "qa1");
        Assert.Equal(3, examples.Count);
        Assert.Equal(["mary", "moved", "to", "the", "bathroom", "."], examples[0].Story[0]);
        Assert.Equal(["where", "is", "mary", "?"], examples[0].Question);
        Assert.Equal("bathroom", examples[0].Answer);
        Assert.Equal([1], examples[0].Supporting);
        // Questions are not part of later stories; a line with ID 1 starts a new story.
        Assert.Equal(4, examples[1].Story.Count);
        Assert.Single(examples[2].Story);
        Assert.Equal("office", examples[2].Answer);
    }

    [Theory]
    [InlineData("1 Mary moved to the bathroom.\nhello there", "qa:2: expected 'ID text'")]
    [InlineData("1 Mary moved to the bathroom.\n3 John went to the hallway.", "qa:2: line ID 3 does not follow 1")]
    [InlineData("1 Mary moved to the bathroom.\n2 Where is Mary?\t\t1", "qa:2: question without an answer")]
    [InlineData("1 Where is Mary?\tkitchen\tx", "qa:1: supporting fact id 'x' is not a number")]
    public void ReaderRejectsMalformedLines(string text, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => BabiReader.Parse(text.Split('\n'), "qa"));
        Assert.StartsWith(message, e.Message);
    }

    /// <summary>
    /// Answers a generated question from the story's words alone, independently of the
    /// generator's world model: replays moves, pick-ups and drops sentence by sentence.
    /// </summary>
    static string Solve(BabiExample example)
    {
        var place = new Dictionary<string, string>();
        var holder = new Dictionary<string, string>();
        var objectPlaces = new Dictionary<string, List<string>>();
        void Visit(string obj, string where)
        {
            if (!objectPlaces.TryGetValue(obj, out var list)) objectPlaces[obj] = list = [];
            if (list.Count == 0 || list[^1] != where) list.Add(where);
        }
        foreach (var s in example.Story)
        {
            var who = s[0];
            var verb = s[1];
            if (verb is "moved" or "went" or "travelled" or "journeyed")
            {
                place[who] = s[^2];
                foreach (var (obj, h) in holder.ToList()) if (h == who) Visit(obj, s[^2]);
            }
            else if (verb is "got" or "picked" or "grabbed" or "took")
            {
                var obj = s[Array.IndexOf(s, "the") + 1];
                holder[obj] = who;
                Visit(obj, place[who]);
            }
            else
            {
                holder.Remove(s[Array.IndexOf(s, "the") + 1]);
            }
        }
        var q = example.Question;
        if (q[1] == "is" && q[2] != "the") return place[q[2]];
        if (q[1] == "is") return objectPlaces[q[3]][^1];
        var history = objectPlaces[q[3]];
        return history[history.IndexOf(q[^2]) - 1];             // "where was the O before the L ?"
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void GeneratedAnswersFollowFromTheStory(int task)
    {
        var lines = new BabiGenerator(task, new SeededRandom(5)).Lines(300).ToList();
        var examples = BabiReader.Parse(lines, $"generated {task}");
        Assert.True(examples.Count >= 300);
        var answers = new HashSet<string>();
        foreach (var e in examples)
        {
            Assert.Equal(Solve(e), e.Answer);
            Assert.NotEmpty(e.Supporting);
            Assert.All(e.Supporting, id => Assert.InRange(id, 1, e.Story.Count + BabiGenerator.QuestionsPerStory));
            answers.Add(e.Answer);
        }
        Assert.Equal(6, answers.Count);                          // every place is an answer somewhere
        if (task == 3) Assert.All(examples, e => Assert.Equal("before", e.Question[^4]));
    }

    [Fact]
    public void ClassifyTaskPadsStoriesAndLabelsAnswers()
    {
        var config = ConfigLoader.FromOverrides(["task.name=babi", "task.babi_task=2", "task.num_train=200", "task.eval_examples=30"]).Task;
        var task = new BabiTask(config, seed: 1);
        Assert.Equal(TaskOutput.Classification, task.Spec.Output);
        Assert.Equal(task.Answers.Count, task.Spec.NumClasses);
        Assert.Equal(200, task.TrainCount);
        Assert.Equal(30, task.EvalCount);
        using var scope = NewDisposeScope();
        var batch = task.TrainBatch(0, 8, CPU);
        Assert.Equal([8L], batch.Targets.shape);
        var lengths = batch.PaddingMask!.sum(1).data<long>().ToArray();
        for (var i = 0; i < 8; i++)
        {
            var words = batch.Inputs[i].data<long>().ToArray()[..(int)lengths[i]].Select(t => task.Words[(int)t]).ToList();
            Assert.Equal("?", words[^1]);
            Assert.Contains("<q>", words);
            var answer = task.Answers[(int)batch.Targets[i].item<long>()];
            Assert.Contains(answer, new[] { "bathroom", "hallway", "garden", "office", "bedroom", "kitchen" });
        }
    }

    [Fact]
    public void NextTokenTaskScoresOnlyTheAnswerWord()
    {
        var config = ConfigLoader.FromOverrides(["task.name=babi", "task.babi_answer=next_token", "task.num_train=100", "task.eval_examples=20"]).Task;
        var task = new BabiTask(config, seed: 1);
        Assert.True(task.Spec.Causal);
        using var scope = NewDisposeScope();
        var batch = task.EvalBatches(20, CPU).First();
        Assert.Equal(Enumerable.Repeat(1L, 20), batch.LossMask!.sum(1).data<long>().ToArray());
        for (var i = 0; i < 20; i++)
        {
            var at = (int)batch.LossMask[i].nonzero()[0, 0].item<long>();
            Assert.Equal("?", task.Words[(int)batch.Inputs[i, at].item<long>()]);
            Assert.Contains(task.Words[(int)batch.Targets[i, at].item<long>()], task.Answers);
            Assert.True(batch.PaddingMask![i, at].item<bool>());
        }
    }

    [Fact]
    public void ReadsTaskFilesFromAFolder()
    {
        using var dir = TestConfigs.TempDir();
        Fixtures.WriteText(dir.Sub("qa1_single-supporting-fact_train.txt"), string.Join('\n', Enumerable.Repeat(Qa1, 10)));
        Fixtures.WriteText(dir.Sub("qa1_single-supporting-fact_test.txt"), Qa1);
        var config = ConfigLoader.FromOverrides(["task.name=babi", $"task.data_path={dir.Path}", "task.validation_fraction=0.2"]).Task;
        var task = new BabiTask(config, seed: 1);
        Assert.Equal(24, task.TrainCount);
        Assert.Equal(3, task.EvalCount);
        Assert.Equal(["bathroom", "hallway", "office"], task.Answers);

        var e = Assert.Throws<ConfigException>(() => new BabiTask(config with { BabiTask = 2 }, 1));
        Assert.Contains("no qa2_*_train.txt", e.Message);
        e = Assert.Throws<ConfigException>(() => new BabiTask(config with { DataPath = "", BabiTask = 4 }, 1));
        Assert.Contains("'task.babi_task' = 4", e.Message);
        Fixtures.WriteText(dir.Sub("qa1_single-supporting-fact_test.txt"), "1 Mary went to the moon.\n2 Where is Mary?\tmoon\t1");
        var bad = Assert.Throws<InvalidDataException>(() => new BabiTask(config, 1));
        Assert.Contains("answer 'moon' never occurs in the training questions", bad.Message);
    }
}
