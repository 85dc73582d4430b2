using System.Text;
using static TorchSharp.torch;
using Nsm.Benchmarks;
using Nsm.Config;
using Nsm.Core;
using Nsm.Data.Documents;
using Nsm.Tasks;
using Nsm.Tests.Support;

namespace Nsm.Tests.Data;

public sealed class DocumentDataTests
{
    static TaskConfig Config(string folder, params string[] overrides) =>
        ConfigLoader.FromOverrides(overrides.Append("task.name=documents").Append($"task.data_path={folder}")).Task;

    [Fact]
    public void CsvHandlesQuotesEscapesAndLineBreaks()
    {
        using var dir = TestConfigs.TempDir();
        var path = dir.Sub("train.csv");
        Fixtures.WriteText(path, "label,text\n1,\"a, b\"\n0,\"say \"\"hi\"\"\nthen go\"\n1,plain\n");
        var rows = DocumentSet.ReadRows(path);
        Assert.Equal([(2, "a, b", "1"), (3, "say \"hi\"\nthen go", "0"), (5, "plain", "1")], rows);
        Fixtures.WriteText(path, "text,label\n\"never closed,1\n");
        var e = Assert.Throws<InvalidDataException>(() => DocumentSet.ReadRows(path));
        Assert.Equal($"{path}:2: unterminated quoted field", e.Message);
    }

    [Fact]
    public void TsvRowsBecomeTruncatedByteTokens()
    {
        using var dir = TestConfigs.TempDir();
        var rows = new[] { "good film\tpos", "bad film, very bad indeed\tneg", "héllo\tpos", "meh\tneg" };
        Fixtures.WriteText(dir.Sub("train.tsv"), string.Join('\n', rows));
        Fixtures.WriteText(dir.Sub("test.tsv"), "text\tlabel\nfine\tpos\nawful\tneg\n");
        var task = new DocumentClassificationTask(Config(dir.Path, "task.max_length=8", "task.validation_fraction=0"), seed: 1);
        Assert.Equal(new Dictionary<string, int> { ["neg"] = 0, ["pos"] = 1 }, task.Classes);
        Assert.Equal((257, 2, 8), (task.Spec.VocabSize, task.Spec.NumClasses, task.Spec.MaxLength));
        using var scope = NewDisposeScope();
        var eval = task.EvalBatches(8, CPU).Single();
        Assert.Equal([1L, 0], eval.Targets.data<long>().ToArray());
        Assert.Equal([true, true, true, true, false], eval.PaddingMask![0].data<bool>().ToArray());
        Assert.Equal("fine"u8.ToArray().Select(b => (long)b + 1).Append(0), eval.Inputs[0].data<long>().ToArray());
        // Training rows are cut to 8 bytes; "héllo" is 6 UTF-8 bytes.
        var epoch = task.TrainBatch(0, 4, CPU);
        var lengths = epoch.PaddingMask!.sum(1).data<long>().Order().ToArray();
        Assert.Equal([3L, 6, 8, 8], lengths);
        Assert.Equal(6, Encoding.UTF8.GetByteCount("héllo"));
    }

    [Fact]
    public void LabelsOutOfRangeAndBadRowsAreErrorsNamingTheLine()
    {
        using var dir = TestConfigs.TempDir();
        Fixtures.WriteText(dir.Sub("train.tsv"), "a\t0\nb\t1\nc\t2\n");
        Fixtures.WriteText(dir.Sub("test.tsv"), "d\t1\ne\t7\n");
        var e = Assert.Throws<InvalidDataException>(() => new DocumentClassificationTask(Config(dir.Path, "task.num_classes=2", "task.validation_fraction=0"), 1));
        Assert.Equal($"{dir.Sub("train.tsv")}:3: label '2' is out of range 0..1", e.Message);

        var task = new DocumentClassificationTask(Config(dir.Path, "task.validation_fraction=0"), 1);
        e = Assert.Throws<InvalidDataException>(() => task.EvalBatches(4, CPU).ToList());
        Assert.Equal($"{dir.Sub("test.tsv")}:2: label '7' is out of range 0..2", e.Message);

        Fixtures.WriteText(dir.Sub("train.tsv"), "a\t0\njust text\n");
        e = Assert.Throws<InvalidDataException>(() => new DocumentClassificationTask(Config(dir.Path), 1));
        Assert.Contains("train.tsv:2: expected at least 2 tab-separated columns (text, label), found 1", e.Message);

        File.Delete(dir.Sub("test.tsv"));
        var missing = Assert.Throws<ConfigException>(() => new DocumentClassificationTask(Config(dir.Path), 1));
        Assert.Contains("neither test.tsv nor test.csv exists", missing.Message);
    }

    [Fact]
    public void ValidationRowsAreHeldOutDeterministically()
    {
        using var dir = TestConfigs.TempDir();
        Fixtures.WriteText(dir.Sub("train.tsv"), string.Join('\n', Enumerable.Range(0, 50).Select(i => $"doc {i}\t{i % 3}")));
        Fixtures.WriteText(dir.Sub("test.tsv"), "x\t0\n");
        var a = new DocumentClassificationTask(Config(dir.Path, "task.eval_split=validation", "task.validation_fraction=0.2"), seed: 1);
        var b = new DocumentClassificationTask(Config(dir.Path, "task.eval_split=validation", "task.validation_fraction=0.2"), seed: 2);
        Assert.Equal(40, a.TrainCount);
        Assert.Equal(10, a.EvalCount);
        using var scope = NewDisposeScope();
        var va = a.EvalBatches(10, CPU).Single().Inputs;
        var vb = b.EvalBatches(10, CPU).Single().Inputs;
        Assert.True(va.eq(vb).all().item<bool>());
        var train = Enumerable.Range(0, 4).Select(s => a.TrainBatch(s, 10, CPU).Inputs).ToList();
        string Row(Tensor x, int i) => Encoding.UTF8.GetString(x[i].data<long>().ToArray().Where(t => t > 0).Select(t => (byte)(t - 1)).ToArray());
        var trainDocs = train.SelectMany(x => Enumerable.Range(0, 10).Select(i => Row(x, i))).ToHashSet();
        var validationDocs = Enumerable.Range(0, 10).Select(i => Row(va, i)).ToHashSet();
        Assert.Equal(40, trainDocs.Count);
        Assert.Empty(trainDocs.Intersect(validationDocs));
    }
}
