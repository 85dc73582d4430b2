using Nsm.Config;
using Nsm.Tests.Support;
using Nsm.Training;

namespace Nsm.Tests.Data;

/// <summary>Every task's presets load, and each trains a step with the Transformer, the LSTM and the NSM.</summary>
public sealed class PresetTests
{
    public static readonly TheoryData<string> Tasks = new()
    {
        "selective-copy", "repeat-copy", "associative-recall", "mqar", "listops", "fashion-mnist",
        "mnist", "cifar10", "char-lm", "wikitext", "babi", "documents",
    };

    /// <summary>Overrides that shrink a preset's data to a fixture in <paramref name="dir"/>.</summary>
    static string[] Data(string task, TempDir dir)
    {
        switch (task)
        {
            case "listops":
                return ["task.min_length=5", "task.max_length=40", "task.num_train=40", "task.eval_examples=8"];
            case "fashion-mnist" or "mnist":
                Fixtures.WriteMnistFolder(dir.Path, 20, 8, 28, gzip: true);
                return [$"task.data_path={dir.Path}"];
            case "cifar10":
                Fixtures.WriteCifarFolder(dir.Path, 4);
                return [$"task.data_path={dir.Path}"];
            case "char-lm":
                Fixtures.WriteText(dir.Sub("input.txt"), string.Concat(Enumerable.Repeat("To be, or not to be, that is the question.\n", 12)));
                return [$"task.data_path={dir.Sub("input.txt")}", "task.seq_len=32"];
            case "wikitext":
                foreach (var split in new[] { "train", "valid", "test" })
                    Fixtures.WriteText(dir.Sub($"wiki.{split}.tokens"), string.Concat(Enumerable.Repeat(" = Robert Boulter = \n Robert Boulter is an English film actor . \n", 8)));
                return [$"task.data_path={dir.Path}", "task.seq_len=32"];
            case "babi":
                return ["task.num_train=40", "task.eval_examples=8"];
            case "documents":
                Fixtures.WriteText(dir.Sub("train.tsv"), string.Join('\n', Enumerable.Range(0, 12).Select(i => $"document number {i}\t{i % 2}")));
                Fixtures.WriteText(dir.Sub("test.tsv"), "one\t0\ntwo\t1\n");
                return [$"task.data_path={dir.Path}"];
            default:
                return ["task.eval_examples=8"];
        }
    }

    [Theory]
    [MemberData(nameof(Tasks))]
    public void EveryModelTrainsOnTheTask(string task)
    {
        foreach (var model in new[] { "transformer", "lstm", "nsm" })
        {
            using var dir = TestConfigs.TempDir();
            var tiny = new[] { "model.d_model=16", "model.num_layers=1", "train.steps=1", "train.batch_size=4", "train.eval_every=0", "train.warmup_steps=0", "task.max_eval_examples=8" };
            var config = ConfigLoader.LoadPreset($"{task}-{model}", tiny.Concat(Data(task, dir)));
            var summary = new Trainer(config, dir.Sub("run")).Run();
            Assert.NotNull(summary);
            Assert.Equal(model, summary.Model);
            Assert.True(double.IsFinite(summary.Eval.Loss), $"{task}-{model}: eval loss {summary.Eval.Loss}");
        }
    }
}
