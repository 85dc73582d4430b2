using Nsm.Checkpoints;
using Nsm.Models.Nsm;
using Nsm.Tests.Support;

namespace Nsm.Tests.Cli;

/// <summary>
/// A run whose slots were pruned and allocated saves a compacted model that every command loads:
/// eval, generate, inspect and train --resume; a checkpoint without slots.json (written before it
/// existed) still loads at the config's slot counts.
/// </summary>
public sealed class AdaptiveCheckpointTests
{
    static readonly string[] Tiny =
    [
        "--set", "model.d_model=16", "--set", "model.num_states=4", "--set", "model.max_states=8", "--set", "train.steps=6",
        "--set", "train.eval_every=0", "--set", "train.log_every=2", "--set", "task.eval_examples=16",
    ];

    static readonly string[] Adaptive =
    [
        "--set", "model.importance_init=0", "--set", "model.importance_l1=1", "--set", "model.prune_threshold=0.5",
        "--set", "model.allocate_threshold=0.05", "--set", "model.manage_states_every=2",
    ];

    [Fact]
    public void CompactedCheckpointLoadsInEveryCommand()
    {
        using var dir = TestConfigs.TempDir();
        var run = dir.Sub("run");
        Assert.Equal(0, CliHarness.Run(["train", "--preset", "copy-long-nsm", "--out", run, .. Tiny, .. Adaptive]).Code);
        var (_, _, loaded) = Checkpoint.LoadModel(run);
        using (var model = (NsmModel)loaded)
        {
            Assert.Contains(model.SlotCounts, c => c.Slots != 4);                  // the slot counts moved in training
            Assert.Equal(model.SlotCounts.Select(c => c.Slots), model.NumActiveStates);
        }

        var eval = CliHarness.Run("eval", "--checkpoint", run);
        Assert.True(eval.Code == 0, eval.Error);
        Assert.Contains("accuracy", eval.Output);
        var generate = CliHarness.Run("generate", "--checkpoint", run, "--prompt", "ab", "--tokens", "3");
        Assert.True(generate.Code == 0, generate.Error);
        var inspect = CliHarness.Run("inspect", "--checkpoint", run, "--example", "0", "--out", dir.Sub("inspect"));
        Assert.True(inspect.Code == 0, inspect.Error);
        var resume = CliHarness.Run("train", "--resume", run, "--set", "train.steps=10");
        Assert.True(resume.Code == 0, resume.Error);
        Assert.Contains("done: 10 steps", resume.Output);
    }

    [Fact]
    public void SlotsCommandReportsWhatTheSavedSlotsCostAndChartsThem()
    {
        using var dir = TestConfigs.TempDir();
        var (adaptive, fixedRun) = (dir.Sub("adaptive"), dir.Sub("fixed"));
        Assert.Equal(0, CliHarness.Run(["train", "--preset", "copy-long-nsm", "--out", adaptive, .. Tiny, .. Adaptive]).Code);
        Assert.Equal(0, CliHarness.Run(["train", "--preset", "copy-long-nsm", "--out", fixedRun, .. Tiny]).Code);
        var chart = Path.Combine(dir.Path, "slots.png");
        var result = CliHarness.Run("slots", "--checkpoint", adaptive, "--checkpoint", fixedRun, "--steps", "4", "--rounds", "2", "--chart", chart);
        Assert.True(result.Code == 0, result.Error);
        var rows = result.Output.Split('\n').Where(l => l.StartsWith('{')).Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!).ToList();
        Assert.Equal(2, rows.Count);
        foreach (var row in rows)
        {
            // Width 16, float32: 64 bytes per slot and layer.
            var slots = row["slots"]!.AsObject().Sum(kv => kv.Value!.GetValue<long>());
            Assert.Equal(slots * 16 * 4, row["slot_state_bytes"]!.GetValue<long>());
            Assert.True(row["step_ms"]!.GetValue<double>() > 0);
        }
        Assert.Equal(16 * 16 * 4, rows[1]["slot_state_bytes"]!.GetValue<long>());   // 8 slots (capacity) in each of 2 layers
        Assert.NotEqual(rows[0]["slot_state_bytes"]!.GetValue<long>(), rows[1]["slot_state_bytes"]!.GetValue<long>());
        Assert.True(new FileInfo(chart).Length > 1000);
    }

    [Fact]
    public void CheckpointWithoutSlotsFileLoadsAtTheConfigsSlotCounts()
    {
        using var dir = TestConfigs.TempDir();
        var run = dir.Sub("run");
        Assert.Equal(0, CliHarness.Run(["train", "--preset", "copy-long-nsm", "--out", run, .. Tiny]).Code);
        File.Delete(Path.Combine(run, Checkpoint.SlotsFile));
        var (_, _, loaded) = Checkpoint.LoadModel(run);
        using (var model = (NsmModel)loaded) Assert.Equal([8L, 8L], model.SlotCounts.Select(c => c.Slots));
        Assert.Equal(0, CliHarness.Run("eval", "--checkpoint", run).Code);
        Assert.Equal(0, CliHarness.Run("train", "--resume", run, "--set", "train.steps=8").Code);
    }
}
