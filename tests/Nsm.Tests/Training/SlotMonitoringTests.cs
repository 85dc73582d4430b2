using System.Text.Json.Nodes;
using Nsm.Models;
using Nsm.Tests.Support;
using Nsm.Training;

namespace Nsm.Tests.Training;

/// <summary>Training an NSM records the slot statistics at each log interval, in metrics.jsonl, TensorBoard and summary.json.</summary>
public sealed class SlotMonitoringTests
{
    static readonly string[] Nsm = ["model.kind=nsm", "model.num_states=8", "model.chunk_size=4", "model.window=4", "train.log_every=3"];

    [Fact]
    public void EveryLogLineHoldsEachLayersSlotStatistics()
    {
        using var dir = TestConfigs.TempDir();
        new Trainer(TestConfigs.TinyCopy(Nsm), dir.Path).Run();
        var lines = File.ReadAllLines(Path.Combine(dir.Path, MetricsLog.FileName)).Select(l => JsonNode.Parse(l)!)
            .Where(l => (string)l["split"]! == "train").ToList();
        Assert.Equal([3L, 6L], lines.Select(l => (long)l["step"]!));
        foreach (var line in lines)
            for (var i = 0; i < 2; i++)
            {
                Assert.Equal(8, (double)line[SlotStatisticKeys.ActiveSlots(i)]!);
                Assert.InRange((double)line[SlotStatisticKeys.WriteEntropy(i)]!, 0.01, Math.Log(9));
                Assert.InRange((double)line[SlotStatisticKeys.ImportanceMin(i)]!, 0.0, (double)line[SlotStatisticKeys.ImportanceMean(i)]!);
                Assert.Equal(8 * 32 * 4, (double)line[SlotStatisticKeys.SlotStateBytes(i)]!);
                Assert.Null(line[SlotStatisticKeys.MemoryBytes(i)]);
            }
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, Trainer.SummaryFile)))!["slot_statistics"]!;
        Assert.Equal(8, (double)summary[SlotStatisticKeys.ActiveSlots(1)]!);
        Assert.Equal(8 * 32 * 4, (double)summary[SlotStatisticKeys.SlotStateBytes(1)]!);
    }

    [Fact]
    public void TensorBoardHoldsTheSameScalarsAndAnImportanceHistogram()
    {
        using var dir = TestConfigs.TempDir();
        new Trainer(TestConfigs.TinyCopy(Nsm), dir.Path).Run();
        var events = TensorBoardEvents.Read(Path.Combine(dir.Path, "tensorboard"));
        var metrics = File.ReadAllLines(Path.Combine(dir.Path, MetricsLog.FileName)).Select(l => JsonNode.Parse(l)!)
            .Where(l => (string)l["split"]! == "train").ToList();
        foreach (var line in metrics)
        {
            var step = (long)line["step"]!;
            foreach (var key in new[] { SlotStatisticKeys.ActiveSlots(0), SlotStatisticKeys.WriteEntropy(1), SlotStatisticKeys.ImportanceMean(1), "loss" })
            {
                var scalar = Assert.Single(events, e => e.Step == step && e.Tag == $"train/{key}").Scalar;
                Assert.Equal((float)(double)line[key]!, scalar);
            }
            var histogram = Assert.Single(events, e => e.Step == step && e.Tag == $"train/{SlotStatisticKeys.ImportanceHistogram(0)}");
            Assert.Equal(8, histogram.HistogramCount);
        }
    }

    [Fact]
    public void StatisticsChangeNoLossAndModelsWithoutSlotsRecordNone()
    {
        using var dir = TestConfigs.TempDir();
        var with = new Trainer(TestConfigs.TinyCopy([.. Nsm, "train.log_every=1"]), dir.Sub("with")).Run()!;
        var without = new Trainer(TestConfigs.TinyCopy([.. Nsm, "train.log_every=1", "train.slot_statistics=false"]), dir.Sub("without")).Run()!;
        Assert.Equal(with.FinalTrainLoss, without.FinalTrainLoss);
        Assert.Equal(with.Eval.Loss, without.Eval.Loss);
        Assert.DoesNotContain("layers.0", File.ReadAllText(Path.Combine(dir.Sub("without"), MetricsLog.FileName)));
        new Trainer(TestConfigs.TinyCopy(), dir.Sub("transformer")).Run();
        Assert.DoesNotContain("layers.0", File.ReadAllText(Path.Combine(dir.Sub("transformer"), MetricsLog.FileName)));
        Assert.DoesNotContain("slot_statistics", File.ReadAllText(Path.Combine(dir.Sub("transformer"), Trainer.SummaryFile)));
    }
}
