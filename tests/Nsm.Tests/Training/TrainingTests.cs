using TorchSharp;
using static TorchSharp.torch;
using Nsm.Benchmarks;
using Nsm.Checkpoints;
using Nsm.Core;
using Nsm.Registry;
using Nsm.Tests.Support;
using Nsm.Training;

namespace Nsm.Tests.Training;

public sealed class TrainingTests
{
    [Fact]
    public void SameSeedGivesTheSameLossCurve()
    {
        using var dir = TestConfigs.TempDir();
        var config = TestConfigs.TinyCopy();
        var a = new Trainer(config, dir.Sub("a"));
        a.Run();
        var b = new Trainer(config, dir.Sub("b"));
        b.Run();
        Assert.Equal(a.LossHistory, b.LossHistory);
        var c = new Trainer(TestConfigs.TinyCopy("train.seed=4"), dir.Sub("c"));
        c.Run();
        Assert.NotEqual(a.LossHistory, c.LossHistory);
    }

    [Fact]
    public void ResumedRunMatchesAnUninterruptedRun()
    {
        using var dir = TestConfigs.TempDir();
        var config = TestConfigs.TinyCopy("train.steps=8", "train.eval_every=4");
        var full = new Trainer(config, dir.Sub("full"));
        full.Run();

        var run = dir.Sub("resumed");
        var resumed = ResumeRuns.InterruptAndResume(config, run, 4);

        Assert.Equal(full.LossHistory.Where(p => p.Step > 4), resumed.LossHistory);
        Assert.Equal(LoggedLosses(dir.Sub("full")), LoggedLosses(run));
        using var a = SafeTensorsOf(dir.Sub("full"));
        using var b = SafeTensorsOf(run);
        Assert.Equal(a.Tensors.Keys, b.Tensors.Keys);
        Assert.All(a.Tensors.Keys, k => Assert.True(a.Tensors[k].equal(b.Tensors[k]).all().item<bool>(), $"weight {k} differs"));
    }

    /// <summary>(step, split, loss) of every metrics record; timings differ between runs and are left out.</summary>
    private static List<(long, string, double)> LoggedLosses(string dir) =>
        File.ReadAllLines(Path.Combine(dir, MetricsLog.FileName))
            .Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!)
            .Select(j => (j["step"]!.GetValue<long>(), j["split"]!.GetValue<string>(), j["loss"]!.GetValue<double>()))
            .ToList();

    private sealed record WeightSet(Dictionary<string, Tensor> Tensors) : IDisposable
    {
        public void Dispose() { foreach (var t in Tensors.Values) t.Dispose(); }
    }

    private static WeightSet SafeTensorsOf(string dir) => new(SafeTensors.Load(Path.Combine(dir, Checkpoint.WeightsFile)).Tensors);

    [Fact]
    public void CheckpointRoundTripRestoresOutputsExactly()
    {
        using var dir = TestConfigs.TempDir();
        var config = TestConfigs.TinyCopy();
        new Trainer(config, dir.Path).Run();
        var (_, task, model) = Checkpoint.LoadModel(dir.Path);
        var (_, _, again) = Checkpoint.LoadModel(dir.Path);
        using var batch = task.TrainBatch(0, 2, CPU);
        using var a = model.forward(batch.Inputs, null);
        using var b = again.forward(batch.Inputs, null);
        Assert.True(a.equal(b).all().item<bool>());
        Assert.Equal(config, Checkpoint.LoadConfig(dir.Path));
        Assert.Equal(6, Checkpoint.LoadState(dir.Path).Step);
    }

    [Fact]
    public void SummaryReportsEvalAccuracyAndThroughput()
    {
        using var dir = TestConfigs.TempDir();
        var summary = new Trainer(TestConfigs.TinyCopy(), dir.Path).Run()!;
        Assert.Equal("transformer", summary.Model);
        Assert.Equal(6, summary.Steps);
        Assert.True(summary.TrainTokensPerSec > 0);
        Assert.InRange(summary.Eval.Accuracy!.Value, 0, 1);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, Trainer.SummaryFile)))!;
        foreach (var key in new[] { "model", "params", "steps", "train_tokens_per_sec", "eval", "wall_seconds" })
            Assert.NotNull(json[key]);
        Assert.NotNull(json["eval"]!["loss"]);
        Assert.NotNull(json["eval"]!["accuracy"]);
        Assert.True(Directory.EnumerateFiles(Path.Combine(dir.Path, "tensorboard")).Any());
    }

    [Fact]
    public void TrainingStepsLeakNoTensors()
    {
        using var dir = TestConfigs.TempDir();
        // Warm up once (lazy globals inside libtorch/TorchSharp), then compare live counts of
        // a short and a long run: the difference must not grow with the number of steps.
        new Trainer(TestConfigs.TinyCopy("train.steps=2"), dir.Sub("warm")).Run();
        var stats = DisposeScopeManager.Statistics;
        long LiveAfter(int steps, string name)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var before = stats.ThreadTotalLiveCount;
            new Trainer(TestConfigs.TinyCopy($"train.steps={steps}", "train.eval_every=3"), dir.Sub(name)).Run();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return stats.ThreadTotalLiveCount - before;
        }
        var shortRun = LiveAfter(3, "short");
        var longRun = LiveAfter(15, "long");
        Assert.True(longRun <= shortRun, $"live tensors grew with steps: {shortRun} after 3 steps, {longRun} after 15");
    }

    [Fact]
    public void ZeroStepsEvaluatesAndWritesASummaryWithoutATrainLoss()
    {
        using var dir = TestConfigs.TempDir();
        var summary = new Trainer(TestConfigs.TinyCopy("train.steps=0"), dir.Path).Run()!;
        Assert.Equal(0, summary.Steps);
        Assert.Null(summary.FinalTrainLoss);
        Assert.True(double.IsFinite(summary.Eval.Loss));
        Assert.Contains("\"final_train_loss\": null", File.ReadAllText(Path.Combine(dir.Path, Trainer.SummaryFile)));
    }

    [Fact]
    public void LearningRateWarmsUpThenDecaysToTheFloor()
    {
        var schedule = new LearningRateSchedule(1.0, 10, 110, 0.1);
        Assert.Equal(0.1, schedule.At(0), 6);
        Assert.Equal(1.0, schedule.At(9), 6);
        Assert.True(schedule.At(50) < 1.0 && schedule.At(50) > 0.1);
        Assert.Equal(0.1, schedule.At(110), 6);
    }

    [Fact]
    public void WeightDecaySkipsVectors()
    {
        var config = TestConfigs.TinyCopy();
        var task = TaskRegistry.Create(config.Task, 1);
        using var model = ModelRegistry.Create(config.Model, task.Spec);
        var optimizer = Trainer.CreateOptimizer(model, config.Train);
        var groups = optimizer.ParamGroups.Cast<TorchSharp.Modules.ParamGroup>().ToList();
        Assert.Equal(2, groups.Count);
        Assert.All(groups[0].Parameters, p => Assert.True(p.dim() >= 2));
        Assert.All(groups[1].Parameters, p => Assert.True(p.dim() < 2));
        Assert.Equal(model.parameters().Count(), groups.Sum(g => g.Parameters.Count()));
    }
}
