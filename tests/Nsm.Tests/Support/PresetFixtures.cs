using Nsm.Config;

namespace Nsm.Tests.Support;

/// <summary>Small fixture data in place of the external data a task reads, so every preset runs in tests.</summary>
public static class PresetFixtures
{
    /// <summary>Overrides that point task <paramref name="taskName"/>'s data at fixtures written into <paramref name="dir"/>.</summary>
    public static string[] DataOverrides(string taskName, TempDir dir)
    {
        switch (taskName)
        {
            case "listops":
                return ["task.min_length=5", "task.max_length=40", "task.num_train=40", "task.eval_examples=8"];
            case "pathfinder":
                return ["task.num_train=40", "task.eval_examples=8"];
            case "fashion_mnist" or "mnist":
                Fixtures.WriteMnistFolder(dir.Path, 20, 8, 28, gzip: true);
                return [$"task.data_path={dir.Path}"];
            case "cifar10":
                Fixtures.WriteCifarFolder(dir.Path, 4);
                return [$"task.data_path={dir.Path}"];
            case "char_lm":
                Fixtures.WriteText(dir.Sub("input.txt"), string.Concat(Enumerable.Repeat("To be, or not to be, that is the question.\n", 12)));
                return [$"task.data_path={dir.Sub("input.txt")}", "task.seq_len=32"];
            case "wikitext":
                foreach (var split in new[] { "train", "valid", "test" })
                    Fixtures.WriteText(dir.Sub($"wiki.{split}.tokens"), string.Concat(Enumerable.Repeat(" = Robert Boulter = \n Robert Boulter is an English film actor . \n", 8)));
                return [$"task.data_path={dir.Path}", "task.seq_len=32"];
            case "passkey":
                Fixtures.WriteText(dir.Sub("filler.txt"), string.Concat(Enumerable.Repeat("To be, or not to be, that is the question.\n", 12)));
                return [$"task.filler_path={dir.Sub("filler.txt")}", "task.seq_len=160", "task.eval_examples=8"];
            case "babi-haystack":
                Fixtures.WriteText(dir.Sub("filler.txt"), string.Concat(Enumerable.Repeat("To be, or not to be, that is the question.\n", 12)));
                return [$"task.filler_path={dir.Sub("filler.txt")}", "task.seq_len=200", "task.max_sentences=4", "task.eval_examples=8"];
            case "babi":
                return ["task.num_train=40", "task.eval_examples=8"];
            case "documents":
                Fixtures.WriteText(dir.Sub("train.tsv"), string.Join('\n', Enumerable.Range(0, 12).Select(i => $"document number {i}\t{i % 2}")));
                Fixtures.WriteText(dir.Sub("test.tsv"), "one\t0\ntwo\t1\n");
                return [$"task.data_path={dir.Path}"];
            case "retrieval":
                foreach (var (split, count) in new[] { ("train", 12), ("eval", 4), ("test", 4) })
                    Fixtures.WriteText(dir.Sub($"new_aan_pairs.{split}.tsv"), string.Join('\n', Enumerable.Range(0, count).Select(i => $"{i % 2}.0\tp{i}\tq{i}\tpaper number {i}\tpaper number {i + i % 2}")));
                return [$"task.data_path={dir.Path}"];
            default:
                return ["task.eval_examples=8"];
        }
    }

    /// <summary>The preset with its data replaced by fixtures in <paramref name="dir"/>, then <paramref name="overrides"/>.</summary>
    public static RunConfig Load(string preset, TempDir dir, params string[] overrides)
    {
        var taskName = ConfigLoader.LoadPreset(preset).Task.Name;
        return ConfigLoader.LoadPreset(preset, DataOverrides(taskName, dir).Concat(overrides));
    }

    /// <summary>Every preset in configs/.</summary>
    public static TheoryData<string> All()
    {
        var data = new TheoryData<string>();
        foreach (var name in ConfigLoader.PresetNames()) data.Add(name);
        return data;
    }
}
