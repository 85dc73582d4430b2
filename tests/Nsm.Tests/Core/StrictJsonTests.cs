using Nsm.Checkpoints;
using Nsm.Tests.Cli;
using Nsm.Tests.Support;
using Nsm.Training;

namespace Nsm.Tests.Core;

/// <summary>A key given twice in any JSON file the tool reads is one error line, not System.Text.Json's late ArgumentException (exit 1, found by the fuzz tests).</summary>
public sealed class StrictJsonTests
{
    [Fact]
    public void AConfigFileWithAKeyTwiceIsOneLineAndExitCodeTwo()
    {
        using var dir = TestConfigs.TempDir();
        var path = dir.Sub("twice.json");
        File.WriteAllText(path, """{"model": {"kind": "transformer", "kind": "lstm"}}""");
        var result = CliHarness.Run("config", "validate", "--config", path);
        Assert.Equal(2, result.Code);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith($"error: {path} is not valid JSON", line);
        Assert.Contains("kind", line);
    }

    [Fact]
    public void ACheckpointWithAKeyTwiceIsRefusedAsCorrupt()
    {
        using var dir = TestConfigs.TempDir();
        new Trainer(TestConfigs.TinyCopy("train.steps=1"), dir.Path).Run();
        File.WriteAllText(Path.Combine(dir.Path, Checkpoint.StateFile), """{"step": 1, "step": 2, "tokens_seen": 8, "train_seconds": 0.1}""");
        var result = CliHarness.Run("train", "--resume", dir.Path, "--set", "train.steps=2");
        Assert.Equal(2, result.Code);
        Assert.Equal($"error: {Path.Combine(dir.Path, Checkpoint.StateFile)} is corrupt", Assert.Single(result.ErrorLines));
    }
}
