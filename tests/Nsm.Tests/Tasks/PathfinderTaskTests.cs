using static TorchSharp.torch;
using Nsm.Config;
using Nsm.Core;
using Nsm.Registry;
using Nsm.Tasks;
using Nsm.Tests.Data;

namespace Nsm.Tests.Tasks;

/// <summary>The pathfinder task: its batches, its independence of the training seed, and its config errors.</summary>
public sealed class PathfinderTaskTests
{
    static TaskConfig Task(params string[] overrides) =>
        ConfigLoader.FromOverrides(["task.name=pathfinder", "task.num_train=48", "task.eval_examples=20", .. overrides]).Task;

    [Fact]
    public void BatchesAre1024PixelTokensLabelledByConnectivity()
    {
        var task = (PathfinderTask)TaskRegistry.Create(Task(), seed: 1);
        Assert.Equal(new TaskSpec(256, 0, TaskOutput.Classification, 2, Causal: false, MaxLength: 1024), task.Spec);
        Assert.Equal(48, task.TrainCount);
        using var scope = NewDisposeScope();
        var batch = task.TrainBatch(0, 16, CPU);
        Assert.Equal([16L, 1024L], batch.Inputs.shape);
        Assert.Null(batch.PaddingMask);                                   // every image has the same length
        for (var i = 0; i < 16; i++)
        {
            var pixels = batch.Inputs[i].data<long>().Select(t => (int)t).ToArray();
            Assert.All(pixels, t => Assert.InRange(t, 0, 255));
            Assert.Equal(PathfinderChecker.Connected(pixels, reach: 2) ? 1L : 0L, batch.Targets[i].item<long>());
        }
    }

    [Fact]
    public void TheDataDependsOnDataSeedNotOnTheTrainingSeed()
    {
        using var scope = NewDisposeScope();
        var a = new PathfinderTask(Task(), seed: 1);
        var b = new PathfinderTask(Task(), seed: 2);
        var c = new PathfinderTask(Task("task.data_seed=99"), seed: 1);
        var evalA = a.EvalBatches(8, CPU).ToList();
        Assert.Equal([8L, 8L, 4L], evalA.Select(x => x.Size));
        var evalB = b.EvalBatches(8, CPU).ToList();
        var evalC = c.EvalBatches(8, CPU).ToList();
        Assert.True(evalA[0].Inputs.eq(evalB[0].Inputs).all().item<bool>());
        Assert.False(evalA[0].Inputs.eq(evalC[0].Inputs).all().item<bool>());
        // The validation split is another set of the same size.
        var validation = new PathfinderTask(Task("task.eval_split=validation"), seed: 1).EvalBatches(8, CPU).First();
        Assert.False(validation.Inputs.eq(evalA[0].Inputs).all().item<bool>());
    }

    [Theory]
    [InlineData("task.pathfinder_distractors=-1", "'task.pathfinder_distractors'")]
    [InlineData("task.pathfinder_dash_length=0", "'task.pathfinder_dash_length'")]
    [InlineData("task.pathfinder_gap_length=-1", "'task.pathfinder_gap_length'")]
    [InlineData("task.pathfinder_dashes=1", "'task.pathfinder_dashes'")]
    public void OutOfRangeKeysAreRejectedOnLoadingInOneLine(string setting, string key)
    {
        var error = Assert.Throws<ConfigException>(() => Task(setting));
        Assert.Contains(key, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("task.pathfinder_distractors=64;task.pathfinder_dashes=32", "'task.pathfinder_distractors'")]
    [InlineData("task.pathfinder_dashes=2;task.pathfinder_dash_length=1;task.pathfinder_gap_length=0", "'task.pathfinder_dashes'")]
    public void SettingsTheGridCannotHoldAreRejectedBeforeTraining(string settings, string key)
    {
        var config = Task(settings.Split(';'));
        var error = Assert.Throws<ConfigException>(() => TaskRegistry.Validate(config));
        Assert.Contains(key, error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Throws<ConfigException>(() => TaskRegistry.Create(config, 1));
    }
}
