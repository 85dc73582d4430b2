using Nsm.Config;
using Nsm.Tests.Support;
using Nsm.Training;

namespace Nsm.Tests.Training;

/// <summary>A run folder takes one writer at a time; the lock goes with the run.</summary>
public sealed class RunFolderLockTests
{
    [Fact]
    public void ASecondRunInTheSameFolderIsRefusedWhileTheFirstRuns()
    {
        using var dir = TestConfigs.TempDir();
        var config = TestConfigs.TinyCopy("train.steps=4");
        Exception? second = null;
        var first = new Trainer(config, dir.Path);
        first.StepCompleted += step =>
        {
            if (step == 2) second = Record.Exception(() => new Trainer(config, dir.Path).Run());
        };
        Assert.NotNull(first.Run());
        var refused = Assert.IsType<RunFolderInUseException>(second);
        Assert.Contains("in use by another run", refused.Message);
        Assert.DoesNotContain('\n', refused.Message);
        // The first run was not disturbed, and once it is done the folder is free again.
        Assert.Equal(4, Nsm.Checkpoints.Checkpoint.LoadState(dir.Path).Step);
        Assert.NotNull(new Trainer(config.With(["train.steps=6"]), dir.Path).Run(resume: true));
    }

    [Fact]
    public void TheCommandLineRefusesWithOneLineAndExitCodeTwo()
    {
        using var dir = TestConfigs.TempDir();
        using var held = RunFolderLock.Acquire(dir.Path);
        var result = Nsm.Tests.Cli.CliHarness.Run("train", "--preset", "copy-transformer", "--set", "train.steps=1", "--out", dir.Path);
        Assert.Equal(2, result.Code);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: run folder", line);
        Assert.False(File.Exists(Path.Combine(dir.Path, "config.json")));
    }
}
