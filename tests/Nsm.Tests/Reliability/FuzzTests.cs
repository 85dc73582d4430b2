using System.Text;
using Nsm.Checkpoints;
using Nsm.Config;
using Nsm.Tests.Support;
using Nsm.Training;

namespace Nsm.Tests.Reliability;

/// <summary>
/// Mutated inputs through the real command line, in process: config files, --set values,
/// every file of a checkpoint folder and text data. Each ends in exit code 0, or 2 with exactly
/// one <c>error:</c> line: never an unexpected exception (exit 1), a stack trace or a changed
/// input. The default run tries a seeded subset; NSM_FUZZ_CASES=N tries N per target (the
/// recorded run in docs/reliability.md). Data files other than text are in DataFileFuzzTests,
/// saved streaming states in StateFileFuzzTests.
/// </summary>
public sealed class FuzzTests
{
    [Fact]
    public void MutatedConfigFilesEndInOneLineOrSucceed()
    {
        var tally = new FuzzCase.Tally("config files");
        var original = File.ReadAllText(ConfigLoader.PresetPath("copy-transformer"));
        var mutator = new Mutator(11);
        using var dir = TestConfigs.TempDir();
        for (var i = 0; i < FuzzCase.Cases(60); i++)
        {
            var path = dir.Sub("config.json");
            File.WriteAllText(path, mutator.Json(original));
            tally.Add(FuzzCase.Check($"config case {i}", dir, null, "config", "validate", "--config", path));
        }
        tally.Report();
    }

    [Fact]
    public void MutatedSetValuesEndInOneLineOrSucceed()
    {
        var tally = new FuzzCase.Tally("--set values");
        var keys = ConfigSchema.Keys(typeof(ModelConfig)).Select(k => "model." + k.Name)
            .Concat(ConfigSchema.Keys(typeof(TaskConfig)).Select(k => "task." + k.Name))
            .Concat(ConfigSchema.Keys(typeof(TrainConfig)).Select(k => "train." + k.Name)).ToList();
        string[] values = ["", "-1", "0", "1e309", "NaN", "-0", "3.5", "999999999999", "true", "null", "[1]", "{}", "\"q\"", "\u00e9\u0000", "token", "topk", "1e-320", "08", "0x10", " 4 "];
        var mutator = new Mutator(12);
        using var dir = TestConfigs.TempDir();
        for (var i = 0; i < FuzzCase.Cases(60); i++)
        {
            var key = keys[mutator.Next(keys.Count)];
            if (mutator.Next(4) == 0) key = key.Remove(mutator.Next(key.Length), 1);
            var value = values[mutator.Next(values.Length)];
            tally.Add(FuzzCase.Check($"--set {key}={value}", dir, null, "config", "validate", "--preset", mutator.Next(2) == 0 ? "copy-transformer" : "copy-long-nsm", "--set", $"{key}={value}"));
        }
        tally.Report();
    }

    [Fact]
    public void MutatedCheckpointFilesEndInOneLineOrSucceed()
    {
        var tally = new FuzzCase.Tally("checkpoint files (weights, config, trainer state, optimizer, RNG)");
        using var dir = TestConfigs.TempDir();
        var good = dir.Sub("good");
        var config = TestConfigs.TinyCopy("model.kind=nsm", "model.num_states=4", "model.chunk_size=4", "model.window=4", "train.steps=2", "train.checkpoint_every=1");
        new Trainer(config, good).Run();
        var files = new[] { Checkpoint.WeightsFile, Checkpoint.ConfigFile, "trainer_state.json", "optimizer.bin", "rng.safetensors" };
        var mutator = new Mutator(13);
        for (var i = 0; i < FuzzCase.Cases(40); i++)
        {
            var run = dir.Sub($"case{i}");
            FuzzCase.CopyFolder(good, run);
            var file = files[mutator.Next(files.Length)];
            var path = Path.Combine(run, file);
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, file.EndsWith(".json", StringComparison.Ordinal) ? Encoding.UTF8.GetBytes(mutator.Json(Encoding.UTF8.GetString(bytes))) : mutator.Bytes(bytes));
            if (mutator.Next(2) == 0) tally.Add(FuzzCase.Check($"eval with mutated {file} (case {i})", dir, null, "eval", "--checkpoint", run));
            else tally.Add(FuzzCase.Check($"resume with mutated {file} (case {i})", dir, run, "train", "--resume", run, "--set", "train.steps=3"));
            Directory.Delete(run, recursive: true);
        }
        tally.Report();
    }

    [Fact]
    public void MutatedTextDataEndsInOneLineOrSucceeds()
    {
        var tally = new FuzzCase.Tally("text data (char_lm)");
        var original = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("To be, or not to be, that is the question.\n", 12)));
        var mutator = new Mutator(14);
        using var dir = TestConfigs.TempDir();
        for (var i = 0; i < FuzzCase.Cases(20); i++)
        {
            var path = dir.Sub("input.txt");
            File.WriteAllBytes(path, mutator.Next(8) == 0 ? [] : mutator.Bytes(original));
            var run = dir.Sub("run");
            tally.Add(FuzzCase.Check($"char_lm data case {i}", dir, run, ["train", "--preset", "char-lm-nsm", "--set", $"task.data_path={path}", "--set", "task.seq_len=16", "--set", "train.steps=1", "--set", "task.max_eval_examples=4", "--out", run, .. FuzzCase.Tiny]));
            if (Directory.Exists(run)) Directory.Delete(run, recursive: true);
        }
        tally.Report();
    }
}
