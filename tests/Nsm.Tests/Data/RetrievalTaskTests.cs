using System.Text;
using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Data.Documents;
using Nsm.Tasks;
using Nsm.Tests.Cli;
using Nsm.Tests.Support;
using Nsm.Training;

namespace Nsm.Tests.Data;

/// <summary>The LRA Retrieval (AAN pairs) file format as the retrieval task reads it, on tiny fixtures.</summary>
public sealed class RetrievalTaskTests
{
    static TaskConfig Config(string folder, params string[] overrides) =>
        ConfigLoader.FromOverrides(overrides.Append("task.name=retrieval").Append($"task.data_path={folder}")).Task;

    static string Pair(string label, string text1, string text2) => $"{label}\tpaper-a\tpaper-b\t{text1}\t{text2}";

    /// <summary>Writes the three files; each holds the given lines.</summary>
    static void WriteFolder(string folder, string[] train, string[] eval, string[] test)
    {
        Directory.CreateDirectory(folder);
        foreach (var (split, lines) in new[] { ("train", train), ("eval", eval), ("test", test) })
            Fixtures.WriteText(Path.Combine(folder, $"new_aan_pairs.{split}.tsv"), string.Join('\n', lines) + "\n");
    }

    static long[] Bytes(string text) => Encoding.UTF8.GetBytes(text).Select(b => (long)b + 1).ToArray();

    static long[] Row(Batch batch, int i) => batch.Inputs[i].data<long>().ToArray();

    [Fact]
    public void APairIsText1SeparatorText2EachCutToItsHalf()
    {
        using var dir = TestConfigs.TempDir();
        WriteFolder(dir.Path,
            [Pair("1.0", "abcdefgh", "xyz"), Pair("0", "", "héllo wörld")],
            [Pair("0.0", "e1", "e2")],
            [Pair("1", "short", "pa"), Pair("0", "0123456789", "9876543210")]);
        // max_length 9: each side keeps (9 - 1) / 2 = 4 bytes.
        var task = new RetrievalTask(Config(dir.Path, "task.max_length=9"), seed: 1);
        Assert.Equal((258, 2, 9, false), (task.Spec.VocabSize, task.Spec.NumClasses, task.Spec.MaxLength, task.Spec.Causal));
        Assert.Equal(257, DocumentPairs.SeparatorToken);
        using var scope = NewDisposeScope();
        var test = task.EvalBatches(8, CPU).Single();
        Assert.Equal([1L, 0], test.Targets.data<long>().ToArray());
        // The shorter pair is padded with 0 to the batch's longest, 9.
        Assert.Equal([.. Bytes("shor"), 257, .. Bytes("pa"), 0, 0], Row(test, 0));
        Assert.Equal([true, true, true, true, true, true, true, false, false], test.PaddingMask![0].data<bool>().ToArray());
        Assert.Equal([.. Bytes("0123"), 257, .. Bytes("9876")], Row(test, 1));

        var train = DocumentPairs.Pack(DocumentPairs.Read(dir.Sub("new_aan_pairs.train.tsv")), 9);
        Assert.Equal([.. Bytes("abcd"), 257, .. Bytes("xyz")], train.Tokens(0).Select(t => (long)t));
        // An empty text1 leaves the separator first; "héllo" cut to 4 bytes keeps h, é (2 bytes), l.
        Assert.Equal([257, .. Bytes("hél")], train.Tokens(1).Select(t => (long)t));
        Assert.Equal((1, 0), (train.Label(0), train.Label(1)));
        Assert.All(Enumerable.Range(0, train.Count), i => Assert.True(train.Length(i) <= 9));
    }

    [Fact]
    public void TheEvalFileIsTheValidationSplit()
    {
        using var dir = TestConfigs.TempDir();
        WriteFolder(dir.Path, [Pair("1", "a", "b"), Pair("0", "c", "d")], [Pair("1.0", "eval", "one")], [Pair("0", "t", "1"), Pair("1", "t", "2")]);
        var validation = new RetrievalTask(Config(dir.Path, "task.eval_split=validation"), seed: 1);
        var test = new RetrievalTask(Config(dir.Path), seed: 1);
        Assert.Equal((2, 1), (validation.TrainCount, validation.EvalCount));
        Assert.Equal((2, 2), (test.TrainCount, test.EvalCount));
        using var scope = NewDisposeScope();
        var batch = validation.EvalBatches(8, CPU).Single();
        Assert.Equal([.. Bytes("eval"), 257, .. Bytes("one")], Row(batch, 0));
        Assert.Equal([1L], batch.Targets.data<long>().ToArray());
    }

    [Fact]
    public void MalformedLinesAreOneLineErrorsNamingFileAndLine()
    {
        using var dir = TestConfigs.TempDir();
        var train = dir.Sub("new_aan_pairs.train.tsv");
        WriteFolder(dir.Path, [Pair("1", "a", "b"), "0\tonly\tthree"], [Pair("0", "e", "f")], [Pair("0", "g", "h")]);
        var e = Assert.Throws<InvalidDataException>(() => new RetrievalTask(Config(dir.Path), 1));
        Assert.Equal($"{train}:2: expected 5 tab-separated columns (label, id1, id2, text1, text2), found 3", e.Message);

        foreach (var label in new[] { "2", "0.5", "yes", "" })
        {
            Fixtures.WriteText(train, Pair("1", "a", "b") + "\n\n" + Pair(label, "c", "d") + "\n");
            e = Assert.Throws<InvalidDataException>(() => new RetrievalTask(Config(dir.Path), 1));
            Assert.Equal($"{train}:3: label '{label}' is not 0 or 1", e.Message);
        }

        Fixtures.WriteText(train, Pair("1", "a", "b") + "\n");
        Fixtures.WriteText(dir.Sub("new_aan_pairs.test.tsv"), Pair("1", "a", "b\tc"));
        var task = new RetrievalTask(Config(dir.Path), 1);
        e = Assert.Throws<InvalidDataException>(() => task.EvalBatches(4, CPU).ToList());
        Assert.Equal($"{dir.Sub("new_aan_pairs.test.tsv")}:1: expected 5 tab-separated columns (label, id1, id2, text1, text2), found 6", e.Message);

        Fixtures.WriteText(train, "\n");
        e = Assert.Throws<InvalidDataException>(() => new RetrievalTask(Config(dir.Path), 1));
        Assert.Equal($"{train}: no pairs", e.Message);
    }

    [Fact]
    public void MissingFilesAndTooShortMaxLengthAreOneLineErrors()
    {
        using var dir = TestConfigs.TempDir();
        var e = Assert.Throws<ConfigException>(() => new RetrievalTask(Config(""), 1));
        Assert.Equal("'task.data_path' must name a folder with new_aan_pairs.train.tsv, .eval.tsv and .test.tsv", e.Message);
        e = Assert.Throws<ConfigException>(() => new RetrievalTask(Config(dir.Sub("nope")), 1));
        Assert.StartsWith($"'task.data_path' = \"{dir.Sub("nope")}\" is not a folder", e.Message);

        WriteFolder(dir.Path, [Pair("1", "a", "b")], [Pair("0", "e", "f")], [Pair("0", "g", "h")]);
        File.Delete(dir.Sub("new_aan_pairs.eval.tsv"));
        // The test split does not need the eval file; the validation split does.
        Assert.Equal(1, new RetrievalTask(Config(dir.Path), 1).TrainCount);
        e = Assert.Throws<ConfigException>(() => new RetrievalTask(Config(dir.Path, "task.eval_split=validation"), 1));
        Assert.Equal($"'task.data_path': new_aan_pairs.eval.tsv does not exist in {dir.Path}", e.Message);
        File.Delete(dir.Sub("new_aan_pairs.train.tsv"));
        e = Assert.Throws<ConfigException>(() => new RetrievalTask(Config(dir.Path), 1));
        Assert.Equal($"'task.data_path': new_aan_pairs.train.tsv does not exist in {dir.Path}", e.Message);

        e = Assert.Throws<ConfigException>(() => new RetrievalTask(Config(dir.Path, "task.max_length=2"), 1));
        Assert.StartsWith("'task.max_length' = 2 leaves no bytes for the texts of a retrieval pair", e.Message);
    }

    [Fact]
    public void TheCommandLineTrainsAFewStepsAndReportsBadFilesInOneLine()
    {
        using var dir = TestConfigs.TempDir();
        var data = dir.Sub("data");
        var lines = Enumerable.Range(0, 12).Select(i => Pair($"{i % 2}.0", $"paper {i} on states", $"paper {i + 1} on memory")).ToArray();
        WriteFolder(data, lines, lines[..4], lines[4..8]);
        string[] tiny = ["--set", "model.d_model=16", "--set", "model.num_layers=1", "--set", "train.batch_size=4", "--set", "train.eval_every=0", "--set", "task.max_length=64"];
        var run = dir.Sub("run");
        var result = CliHarness.Run(["train", "--preset", "retrieval-nsm", "--set", $"task.data_path={data}", "--set", "train.steps=3", "--set", "train.log_every=1", "--out", run, .. tiny]);
        Assert.True(result.Code == 0, result.Error);
        Assert.Equal(3, File.ReadLines(Path.Combine(run, MetricsLog.FileName)).Count(l => l.Contains("\"split\":\"train\"", StringComparison.Ordinal)));

        Fixtures.WriteText(Path.Combine(data, "new_aan_pairs.train.tsv"), lines[0] + "\n" + "x\ty\n");
        result = CliHarness.Run(["train", "--preset", "retrieval-nsm", "--set", $"task.data_path={data}", "--set", "train.steps=1", "--out", dir.Sub("run2"), .. tiny]);
        Assert.Equal(2, result.Code);
        Assert.Equal($"error: {Path.Combine(data, "new_aan_pairs.train.tsv")}:2: expected 5 tab-separated columns (label, id1, id2, text1, text2), found 2", Assert.Single(result.ErrorLines));
    }
}
