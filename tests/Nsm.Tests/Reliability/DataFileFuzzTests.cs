using Nsm.Data;
using Nsm.Data.Babi;
using Nsm.Tests.Support;

namespace Nsm.Tests.Reliability;

/// <summary>
/// Mutated data files through the real command line (<c>nsm train</c> on the preset that reads
/// them, one step of a tiny model): IDX (MNIST, plain and gzip), CIFAR-10 binary batches,
/// TSV documents, AAN pair files (retrieval) and bAbI task files. One file of a valid fixture folder is mutated per case;
/// each ends in exit 0, or 2 with one <c>error:</c> line, and changes nothing outside the run
/// folder. NSM_FUZZ_CASES=N tries N per format (docs/reliability.md).
/// </summary>
public sealed class DataFileFuzzTests
{
    [Fact]
    public void MutatedIdxFilesEndInOneLineOrSucceed() => Fuzz("IDX files (mnist, plain and gzip)", "mnist-nsm", seed: 21, fallback: 8, folder =>
    {
        // Half the folders gzip-compressed, as the published files are.
        Fixtures.WriteMnistFolder(folder, 20, 8, 28, gzip: folder.EndsWith("gz", StringComparison.Ordinal));
    }, "gz", "plain");

    [Fact]
    public void MutatedCifarBatchesEndInOneLineOrSucceed() => Fuzz("CIFAR-10 batches", "cifar10-nsm", seed: 22, fallback: 6, folder => Fixtures.WriteCifarFolder(folder, 4));

    [Fact]
    public void MutatedTsvDocumentsEndInOneLineOrSucceed() => Fuzz("TSV documents", "documents-nsm", seed: 23, fallback: 8, folder =>
    {
        Directory.CreateDirectory(folder);
        Fixtures.WriteText(Path.Combine(folder, "train.tsv"), "text\tlabel\n" + string.Join('\n', Enumerable.Range(0, 12).Select(i => $"document number {i}, caf\u00e9\t{i % 2}")));
        Fixtures.WriteText(Path.Combine(folder, "test.tsv"), "one\t0\ntwo\t1\n");
    }, extra: ["--set", "task.max_length=32"]);

    [Fact]
    public void MutatedAanPairFilesEndInOneLineOrSucceed() => Fuzz("AAN pair files (retrieval)", "retrieval-nsm", seed: 25, fallback: 8, folder =>
    {
        Directory.CreateDirectory(folder);
        foreach (var (split, count) in new[] { ("train", 12), ("eval", 4), ("test", 4) })
            Fixtures.WriteText(Path.Combine(folder, $"new_aan_pairs.{split}.tsv"), string.Join('\n', Enumerable.Range(0, count).Select(i => $"{i % 2}.0\tp{i}\tq{i}\tpaper {i}, caf\u00e9\tpaper {i + 1}")));
    }, extra: ["--set", "task.max_length=32"]);

    [Fact]
    public void MutatedBabiFilesEndInOneLineOrSucceed() => Fuzz("bAbI task files", "babi-nsm", seed: 24, fallback: 8, folder =>
    {
        Directory.CreateDirectory(folder);
        foreach (var (split, stream) in new[] { ("train", 3), ("test", 1) })
            Fixtures.WriteText(Path.Combine(folder, $"qa1_single-supporting-fact_{split}.txt"), string.Join('\n', new BabiGenerator(1, new SeededRandom(5, stream)).Lines(12)) + "\n");
    }, extra: ["--set", "task.eval_examples=8"]);

    /// <summary>
    /// Writes a good folder with write (one per variant), then per case copies one, mutates one
    /// of its files and trains on it.
    /// </summary>
    private static void Fuzz(string target, string preset, int seed, int fallback, Action<string> write, params string[] variants) =>
        Fuzz(target, preset, seed, fallback, write, [], variants);

    private static void Fuzz(string target, string preset, int seed, int fallback, Action<string> write, string[] extra, params string[] variants)
    {
        var tally = new FuzzCase.Tally(target);
        var mutator = new Mutator(seed);
        using var dir = TestConfigs.TempDir();
        if (variants.Length == 0) variants = ["data"];
        foreach (var variant in variants) write(dir.Sub($"good-{variant}"));
        for (var i = 0; i < FuzzCase.Cases(fallback); i++)
        {
            var data = dir.Sub("data");
            FuzzCase.CopyFolder(dir.Sub($"good-{variants[mutator.Next(variants.Length)]}"), data);
            var files = Directory.GetFiles(data).Order(StringComparer.Ordinal).ToArray();
            var file = files[mutator.Next(files.Length)];
            File.WriteAllBytes(file, mutator.Next(10) == 0 ? [] : mutator.Bytes(File.ReadAllBytes(file)));
            var run = dir.Sub("run");
            tally.Add(FuzzCase.Check($"{target}: mutated {Path.GetFileName(file)} (case {i})", dir, run,
                ["train", "--preset", preset, "--set", $"task.data_path={data}", "--set", "train.steps=1", "--out", run, .. FuzzCase.Tiny, .. extra]));
            if (Directory.Exists(run)) Directory.Delete(run, recursive: true);
            Directory.Delete(data, recursive: true);
        }
        tally.Report();
    }
}
