using Nsm.Checkpoints;
using Nsm.Config;
using Nsm.Core;
using Nsm.Tests.Support;
using Nsm.Training;
using static TorchSharp.torch;

namespace Nsm.Tests.Training;

/// <summary>
/// train.nonfinite: a NaN/Inf loss never reaches the weights. "stop" ends the run with one line
/// and leaves the last checkpoint as it was; "skip" drops each such update and stops after
/// <see cref="Trainer.MaxSkippedInARow"/> in a row. The loss is made non-finite by poisoning one
/// weight of a checkpoint with NaN and resuming from it.
/// </summary>
public sealed class NonFiniteLossTests
{
    static (RunConfig Config, byte[] Poisoned) PoisonedRun(TempDir dir)
    {
        var config = TestConfigs.TinyCopy("train.steps=2", "train.checkpoint_every=1", "train.log_every=1");
        new Trainer(config, dir.Path).Run();
        var path = Path.Combine(dir.Path, Checkpoint.WeightsFile);
        var (tensors, metadata) = SafeTensors.Load(path);
        var first = tensors.Keys.Order(StringComparer.Ordinal).First();
        tensors[first] = full_like(tensors[first], double.NaN);
        SafeTensors.Save(path, tensors, metadata);
        foreach (var t in tensors.Values) t.Dispose();
        return (config, File.ReadAllBytes(path));
    }

    [Fact]
    public void StopEndsTheRunAndKeepsTheLastCheckpoint()
    {
        using var dir = TestConfigs.TempDir();
        var (_, poisoned) = PoisonedRun(dir);
        var config = Checkpoint.LoadConfig(dir.Path, ["train.steps=6", "train.nonfinite=stop"]);
        var error = Assert.Throws<TrainingDivergedException>(() => new Trainer(config, dir.Path).Run(resume: true));
        Assert.Contains("at step 3", error.Message);
        Assert.Contains("train.nonfinite = stop", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal(2, Checkpoint.LoadState(dir.Path).Step);
        Assert.Equal(poisoned, File.ReadAllBytes(Path.Combine(dir.Path, Checkpoint.WeightsFile)));
    }

    [Fact]
    public void SkipDropsEveryUpdateAndStopsAfterTenInARow()
    {
        using var dir = TestConfigs.TempDir();
        var (_, poisoned) = PoisonedRun(dir);
        var config = Checkpoint.LoadConfig(dir.Path, ["train.steps=40", "train.nonfinite=skip"]);
        var output = new StringWriter();
        var error = Assert.Throws<TrainingDivergedException>(() => new Trainer(config, dir.Path, output).Run(resume: true));
        Assert.Contains($"{Trainer.MaxSkippedInARow} steps in a row (steps 3 to 12", error.Message);
        // Steps 3..11 were skipped and checkpointed; the weights in those checkpoints never moved.
        Assert.Equal(11, Checkpoint.LoadState(dir.Path).Step);
        Assert.Equal(poisoned, File.ReadAllBytes(Path.Combine(dir.Path, Checkpoint.WeightsFile)));
        Assert.Equal(Trainer.MaxSkippedInARow - 1, output.ToString().Split('\n').Count(l => l.Contains("update skipped")));
        // Logged losses of skipped steps are null in metrics.jsonl, never NaN.
        var lines = File.ReadAllLines(Path.Combine(dir.Path, MetricsLog.FileName));
        Assert.Contains(lines, l => l.Contains("\"step\":3,") && l.Contains("\"loss\":null"));
    }

    [Fact]
    public void TheCommandLineEndsWithOneErrorLineAndExitCodeTwo()
    {
        using var dir = TestConfigs.TempDir();
        var (_, poisoned) = PoisonedRun(dir);
        var result = Nsm.Tests.Cli.CliHarness.Run("train", "--resume", dir.Path, "--set", "train.steps=6");
        Assert.Equal(2, result.Code);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: loss became NaN at step 3", line);
        Assert.Equal(poisoned, File.ReadAllBytes(Path.Combine(dir.Path, Checkpoint.WeightsFile)));
    }

    [Fact]
    public void StopIsTheDefault() => Assert.Equal(NonFinitePolicy.Stop, new TrainConfig().NonFinite);
}
