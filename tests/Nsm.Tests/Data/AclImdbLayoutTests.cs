using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Data.Documents;
using Nsm.Tasks;
using Nsm.Tests.Cli;
using Nsm.Tests.Support;
using Nsm.Training;

namespace Nsm.Tests.Data;

/// <summary>The aclImdb folder layout (LRA Text's IMDB data) as a source of the documents task, on tiny fixtures.</summary>
public sealed class AclImdbLayoutTests
{
    static readonly (string Split, string Label, string File, string Text)[] Reviews =
    [
        ("train", "pos", "1_9.txt", "a fine film"),
        ("train", "pos", "0_10.txt", "loved it, héllo"),
        ("train", "neg", "3_2.txt", "dull<br />and long"),
        ("train", "neg", "10_1.txt", "bad"),
        ("train", "neg", "2_3.txt", "not good at all, sadly"),
        ("test", "pos", "0_8.txt", "great"),
        ("test", "neg", "0_2.txt", "awful"),
    ];

    static TaskConfig Config(string folder, params string[] overrides) =>
        ConfigLoader.FromOverrides(overrides.Append("task.name=documents").Append($"task.data_path={folder}")).Task;

    static void WriteAclImdb(string root)
    {
        foreach (var (split, label, file, text) in Reviews)
        {
            Directory.CreateDirectory(Path.Combine(root, split, label));
            Fixtures.WriteText(Path.Combine(root, split, label, file), text);
        }
        // aclImdb's unlabelled reviews and loose files beside the class folders are not rows.
        Directory.CreateDirectory(Path.Combine(root, "train", AclImdbLayout.UnlabelledFolder));
        Fixtures.WriteText(Path.Combine(root, "train", AclImdbLayout.UnlabelledFolder, "0_0.txt"), "unlabelled");
        Fixtures.WriteText(Path.Combine(root, "train", "urls_pos.txt"), "not a review");
    }

    /// <summary>The same reviews as TSV rows, in the order the layout reads them (class folders, then files, ordinally).</summary>
    static void WriteTsv(string root)
    {
        foreach (var split in new[] { "train", "test" })
        {
            var rows = Reviews.Where(r => r.Split == split)
                .OrderBy(r => r.Label, StringComparer.Ordinal).ThenBy(r => r.File, StringComparer.Ordinal)
                .Select(r => $"{r.Text}\t{r.Label}");
            Fixtures.WriteText(Path.Combine(root, $"{split}.tsv"), string.Join('\n', rows) + "\n");
        }
    }

    static List<long[]> Sequences(Batch batch)
    {
        var inputs = batch.Inputs.data<long>().ToArray();
        var width = (int)batch.Inputs.shape[1];
        return Enumerable.Range(0, (int)batch.Inputs.shape[0]).Select(i => inputs.AsSpan(i * width, width).ToArray()).ToList();
    }

    [Fact]
    public void SplitsAreReadInOrdinalOrderSkippingUnlabelledReviews()
    {
        using var dir = TestConfigs.TempDir();
        WriteAclImdb(dir.Path);
        var rows = AclImdbLayout.ReadSplit(dir.Path, "train");
        // neg before pos; within a folder "10_1" < "2_3" < "3_2" ordinally.
        Assert.Equal([(1, "bad", "neg"), (2, "not good at all, sadly", "neg"), (3, "dull<br />and long", "neg"), (4, "loved it, héllo", "pos"), (5, "a fine film", "pos")], rows);
        Assert.Equal(rows, AclImdbLayout.ReadSplit(dir.Path, "train"));
    }

    [Fact]
    public void TheLayoutGivesTheSameTokensAndLabelsAsTheEquivalentTsv()
    {
        using var imdb = TestConfigs.TempDir();
        using var tsv = TestConfigs.TempDir();
        WriteAclImdb(imdb.Path);
        WriteTsv(tsv.Path);
        foreach (var split in new[] { "eval_split=test", "eval_split=validation" })
        {
            string[] overrides = ["task.max_length=12", "task.validation_fraction=0.4", $"task.{split}"];
            var a = new DocumentClassificationTask(Config(imdb.Path, overrides), seed: 1);
            var b = new DocumentClassificationTask(Config(tsv.Path, overrides), seed: 1);
            Assert.Equal(new Dictionary<string, int> { ["neg"] = 0, ["pos"] = 1 }, a.Classes);
            Assert.Equal(b.Classes, a.Classes);
            Assert.Equal(b.Spec, a.Spec);
            Assert.Equal((3, 2), (a.TrainCount, a.EvalCount));
            Assert.Equal((b.TrainCount, b.EvalCount), (a.TrainCount, a.EvalCount));
            using var scope = NewDisposeScope();
            var (ea, eb) = (a.EvalBatches(8, CPU).Single(), b.EvalBatches(8, CPU).Single());
            Assert.Equal(Sequences(eb), Sequences(ea));
            Assert.Equal(eb.Targets.data<long>().ToArray(), ea.Targets.data<long>().ToArray());
            for (var step = 0; step < 3; step++)
            {
                var (ta, tb) = (a.TrainBatch(step, 2, CPU), b.TrainBatch(step, 2, CPU));
                Assert.Equal(Sequences(tb), Sequences(ta));
                Assert.Equal(tb.Targets.data<long>().ToArray(), ta.Targets.data<long>().ToArray());
            }
        }
    }

    [Fact]
    public void TestReviewsAreByteTokensTruncatedToMaxLength()
    {
        using var dir = TestConfigs.TempDir();
        WriteAclImdb(dir.Path);
        var task = new DocumentClassificationTask(Config(dir.Path, "task.max_length=4", "task.validation_fraction=0"), seed: 1);
        using var scope = NewDisposeScope();
        var eval = task.EvalBatches(8, CPU).Single();
        // test/neg/0_2.txt "awful" cut to 4 bytes, then test/pos/0_8.txt "great".
        Assert.Equal([0L, 1], eval.Targets.data<long>().ToArray());
        Assert.Equal([(long)'a' + 1, 'w' + 1, 'f' + 1, 'u' + 1], Sequences(eval)[0]);
        Assert.Equal([(long)'g' + 1, 'r' + 1, 'e' + 1, 'a' + 1], Sequences(eval)[1]);
    }

    [Fact]
    public void BrokenLayoutsAreOneLineErrorsNamingTheFolder()
    {
        using var dir = TestConfigs.TempDir();
        var empty = dir.Sub("empty");
        Directory.CreateDirectory(empty);
        var e = Assert.Throws<ConfigException>(() => new DocumentClassificationTask(Config(empty), 1));
        Assert.Equal($"'task.data_path': {empty} has neither train.tsv (or .csv) nor the aclImdb folders train/ and test/", e.Message);

        var noClasses = dir.Sub("no-classes");
        Directory.CreateDirectory(Path.Combine(noClasses, "train", AclImdbLayout.UnlabelledFolder));
        Directory.CreateDirectory(Path.Combine(noClasses, "test"));
        e = Assert.Throws<ConfigException>(() => new DocumentClassificationTask(Config(noClasses), 1));
        Assert.StartsWith($"'task.data_path': {Path.Combine(noClasses, "train")} has no class folders", e.Message);

        var noFiles = dir.Sub("no-files");
        WriteAclImdb(noFiles);
        foreach (var file in Directory.GetFiles(Path.Combine(noFiles, "test", "pos"))) File.Delete(file);
        var task = new DocumentClassificationTask(Config(noFiles, "task.validation_fraction=0"), 1);
        e = Assert.Throws<ConfigException>(() => task.EvalBatches(4, CPU).ToList());
        Assert.Equal($"'task.data_path': class folder {Path.Combine(noFiles, "test", "pos")} has no .txt files", e.Message);

        var extraClass = dir.Sub("extra-class");
        WriteAclImdb(extraClass);
        Directory.CreateDirectory(Path.Combine(extraClass, "test", "meh"));
        Fixtures.WriteText(Path.Combine(extraClass, "test", "meh", "0_5.txt"), "so-so");
        task = new DocumentClassificationTask(Config(extraClass, "task.validation_fraction=0"), 1);
        e = Assert.Throws<ConfigException>(() => task.EvalBatches(4, CPU).ToList());
        Assert.Equal($"'task.data_path': {Path.Combine(extraClass, "test", "meh")} is a class the training split does not have (neg, pos)", e.Message);

        e = Assert.Throws<ConfigException>(() => new DocumentClassificationTask(Config(extraClass, "task.num_classes=2"), 1));
        Assert.Equal($"'task.num_classes' = 2 needs class folders named 0..1; {Path.Combine(extraClass, "train")} has a folder neg/", e.Message);

        // A corrupt review is a data error naming the file, as for the delimited files.
        var latin1 = Path.Combine(extraClass, "train", "pos", "5_7.txt");
        File.WriteAllBytes(latin1, [(byte)'c', (byte)'a', (byte)'f', 0xE9]);
        var corrupt = Assert.Throws<InvalidDataException>(() => new DocumentClassificationTask(Config(extraClass), 1));
        Assert.Equal($"{latin1}: not UTF-8 text", corrupt.Message);
    }

    [Fact]
    public void TheCommandLineTrainsOnTheLayout()
    {
        using var dir = TestConfigs.TempDir();
        WriteAclImdb(dir.Sub("data"));
        var run = dir.Sub("run");
        var result = CliHarness.Run(["train", "--preset", "documents-nsm", "--set", $"task.data_path={dir.Sub("data")}", "--set", "train.steps=2",
            "--set", "task.max_length=32", "--set", "task.validation_fraction=0", "--out", run,
            "--set", "model.d_model=16", "--set", "model.num_layers=1", "--set", "train.batch_size=4", "--set", "train.eval_every=0"]);
        Assert.True(result.Code == 0, result.Error);
        Assert.True(File.Exists(Path.Combine(run, MetricsLog.FileName)));

        Directory.Delete(Path.Combine(dir.Sub("data"), "train", "pos"), recursive: true);
        Directory.Delete(Path.Combine(dir.Sub("data"), "train", "neg"), recursive: true);
        result = CliHarness.Run(["train", "--preset", "documents-nsm", "--set", $"task.data_path={dir.Sub("data")}", "--out", dir.Sub("run2")]);
        Assert.Equal(2, result.Code);
        Assert.Equal("error: 'task.data_path': " + Path.Combine(dir.Sub("data"), "train") + " has no class folders (expected one folder per label, such as neg/ and pos/, of .txt files)", Assert.Single(result.ErrorLines));
    }
}
