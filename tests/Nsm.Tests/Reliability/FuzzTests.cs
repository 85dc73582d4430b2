using System.Security.Cryptography;
using System.Text;
using Nsm.Checkpoints;
using Nsm.Config;
using Nsm.Tests.Cli;
using Nsm.Tests.Support;
using Nsm.Training;

namespace Nsm.Tests.Reliability;

/// <summary>
/// Mutated inputs through the real command line, in process: config files, --set values,
/// every file of a checkpoint folder and text data. Each ends in exit code 0, or 2 with exactly
/// one <c>error:</c> line: never an unexpected exception (exit 1), a stack trace or a changed
/// input. The default run tries a seeded subset; NSM_FUZZ_CASES=N tries N per target (the
/// recorded run in docs/reliability.md).
/// </summary>
public sealed class FuzzTests
{
    /// <summary>Counts outcomes per target; with NSM_FUZZ_REPORT=FILE each target appends one line there.</summary>
    sealed class Tally(string target)
    {
        private int ok, refused;

        public void Add(string outcome)
        {
            if (outcome == "ok") ok++;
            else refused++;
        }

        public void Report()
        {
            if (Environment.GetEnvironmentVariable("NSM_FUZZ_REPORT") is { Length: > 0 } file)
                File.AppendAllText(file, $"{target}: {ok + refused} inputs, {ok} succeeded, {refused} refused with one error line (exit 2), 0 other outcomes\n");
        }
    }

    static int Cases(int fallback) => int.TryParse(Environment.GetEnvironmentVariable("NSM_FUZZ_CASES"), out var n) ? n : fallback;

    static readonly string[] Tiny = ["--set", "model.d_model=16", "--set", "model.num_layers=1", "--set", "train.batch_size=4", "--set", "train.eval_every=0"];

    /// <summary>SHA-256 over every file's path and bytes below a folder, except one subfolder.</summary>
    static string TreeHash(string root, string? except = null)
    {
        using var sha = SHA256.Create();
        foreach (var file in Directory.GetFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (except is not null && file.StartsWith(except + Path.DirectorySeparatorChar, StringComparison.Ordinal)) continue;
            var name = Encoding.UTF8.GetBytes(Path.GetRelativePath(root, file));
            sha.TransformBlock(name, 0, name.Length, null, 0);
            var bytes = File.ReadAllBytes(file);
            sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
        }
        sha.TransformFinalBlock([], 0, 0);
        return Convert.ToHexString(sha.Hash!);
    }

    /// <summary>Runs one case; returns its outcome ("ok" or the error's first words) and fails on anything else.</summary>
    static string Check(string what, TempDir dir, string? runDir, params string[] args)
    {
        var before = TreeHash(dir.Path, runDir);
        var result = CliHarness.Run(args);
        Assert.True(result.Code is 0 or 2, $"{what}: exit {result.Code}: {result.Error}");
        if (result.Code == 2)
        {
            // One error line; a config may also earn warning lines for keys its kind or task ignores.
            Assert.Single(result.ErrorLines, l => l.StartsWith("error: ", StringComparison.Ordinal));
            Assert.All(result.ErrorLines, l => Assert.True(l.StartsWith("error: ", StringComparison.Ordinal) || l.StartsWith("warning: ", StringComparison.Ordinal), $"{what}: {l}"));
            Assert.DoesNotContain("   at ", result.Error);
        }
        Assert.True(before == TreeHash(dir.Path, runDir), $"{what}: an input outside the run folder changed");
        return result.Code == 0 ? "ok" : "error";
    }

    [Fact]
    public void MutatedConfigFilesEndInOneLineOrSucceed()
    {
        var tally = new Tally("config files");
        var original = File.ReadAllText(ConfigLoader.PresetPath("copy-transformer"));
        var mutator = new Mutator(11);
        using var dir = TestConfigs.TempDir();
        for (var i = 0; i < Cases(60); i++)
        {
            var path = dir.Sub("config.json");
            File.WriteAllText(path, mutator.Json(original));
            tally.Add(Check($"config case {i}", dir, null, "config", "validate", "--config", path));
        }
        tally.Report();
    }

    [Fact]
    public void MutatedSetValuesEndInOneLineOrSucceed()
    {
        var tally = new Tally("--set values");
        var keys = ConfigSchema.Keys(typeof(ModelConfig)).Select(k => "model." + k.Name)
            .Concat(ConfigSchema.Keys(typeof(TaskConfig)).Select(k => "task." + k.Name))
            .Concat(ConfigSchema.Keys(typeof(TrainConfig)).Select(k => "train." + k.Name)).ToList();
        string[] values = ["", "-1", "0", "1e309", "NaN", "-0", "3.5", "999999999999", "true", "null", "[1]", "{}", "\"q\"", "\u00e9\u0000", "token", "topk", "1e-320", "08", "0x10", " 4 "];
        var mutator = new Mutator(12);
        using var dir = TestConfigs.TempDir();
        for (var i = 0; i < Cases(60); i++)
        {
            var key = keys[mutator.Next(keys.Count)];
            if (mutator.Next(4) == 0) key = key.Remove(mutator.Next(key.Length), 1);
            var value = values[mutator.Next(values.Length)];
            tally.Add(Check($"--set {key}={value}", dir, null, "config", "validate", "--preset", mutator.Next(2) == 0 ? "copy-transformer" : "copy-long-nsm", "--set", $"{key}={value}"));
        }
        tally.Report();
    }

    [Fact]
    public void MutatedCheckpointFilesEndInOneLineOrSucceed()
    {
        var tally = new Tally("checkpoint files (weights, config, trainer state, optimizer, RNG)");
        using var dir = TestConfigs.TempDir();
        var good = dir.Sub("good");
        var config = TestConfigs.TinyCopy("model.kind=nsm", "model.num_states=4", "model.chunk_size=4", "model.window=4", "train.steps=2", "train.checkpoint_every=1");
        new Trainer(config, good).Run();
        var files = new[] { Checkpoint.WeightsFile, Checkpoint.ConfigFile, "trainer_state.json", "optimizer.bin", "rng.safetensors" };
        var mutator = new Mutator(13);
        for (var i = 0; i < Cases(40); i++)
        {
            var run = dir.Sub($"case{i}");
            CopyFolder(good, run);
            var file = files[mutator.Next(files.Length)];
            var path = Path.Combine(run, file);
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, file.EndsWith(".json", StringComparison.Ordinal) ? Encoding.UTF8.GetBytes(mutator.Json(Encoding.UTF8.GetString(bytes))) : mutator.Bytes(bytes));
            if (mutator.Next(2) == 0) tally.Add(Check($"eval with mutated {file} (case {i})", dir, null, "eval", "--checkpoint", run));
            else tally.Add(Check($"resume with mutated {file} (case {i})", dir, run, "train", "--resume", run, "--set", "train.steps=3"));
            Directory.Delete(run, recursive: true);
        }
        tally.Report();
    }

    [Fact]
    public void MutatedTextDataEndsInOneLineOrSucceeds()
    {
        var tally = new Tally("text data (char_lm)");
        var original = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("To be, or not to be, that is the question.\n", 12)));
        var mutator = new Mutator(14);
        using var dir = TestConfigs.TempDir();
        for (var i = 0; i < Cases(20); i++)
        {
            var path = dir.Sub("input.txt");
            File.WriteAllBytes(path, mutator.Next(8) == 0 ? [] : mutator.Bytes(original));
            var run = dir.Sub("run");
            tally.Add(Check($"char_lm data case {i}", dir, run, ["train", "--preset", "char-lm-nsm", "--set", $"task.data_path={path}", "--set", "task.seq_len=16", "--set", "train.steps=1", "--set", "task.max_eval_examples=4", "--out", run, .. Tiny]));
            if (Directory.Exists(run)) Directory.Delete(run, recursive: true);
        }
        tally.Report();
    }

    static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var sub in Directory.GetDirectories(from)) CopyFolder(sub, Path.Combine(to, Path.GetFileName(sub)));
    }
}
