using System.Text.Json.Nodes;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Nsm.Checkpoints;
using Nsm.Config;
using Nsm.Models;
using Nsm.Models.Nsm;
using Nsm.Tests.Models.Nsm;
using Nsm.Tests.Support;
using Nsm.Training;

namespace Nsm.Tests.Training;

/// <summary>
/// Training the adaptive NSM: slots leave and join the tensors between optimizer steps, AdamW's
/// moments follow them, and the checkpoint holds the real slot counts.
/// </summary>
public sealed class AdaptiveTrainingTests
{
    /// <summary>Starts at 4 of 8 slots; the L1 penalty pulls importances (0.5 at the start) below the prune threshold, saturation allocates.</summary>
    static readonly string[] Adaptive =
    [
        "model.kind=nsm", "model.num_states=4", "model.max_states=8", "model.chunk_size=4", "model.window=4",
        "model.importance_init=0", "model.importance_l1=1", "model.prune_threshold=0.5", "model.allocate_threshold=0.05", "model.manage_states_every=2",
    ];

    [Fact]
    public void OptimizerMomentsFollowTheSlotsAndTrainingContinues()
    {
        using var model = NsmTestModels.Create("model.max_states=8", "model.initial_states=4", "model.prune_threshold=0.5", "model.allocate_threshold=0.01");
        model.Compact();
        model.train();
        using var optimizer = Trainer.CreateOptimizer(model, new TrainConfig());
        var tokens = randint(0, NsmTestModels.Vocab, [2, 24]);
        Step(model, optimizer, tokens);
        Step(model, optimizer, tokens);
        var init = model.Layers[0].Manager.named_parameters().Single(p => p.name == "state_init").parameter;
        var (avgBefore, sqBefore) = (Moments(optimizer, init).exp_avg.clone(), Moments(optimizer, init).exp_avg_sq.clone());
        var stepBefore = Moments(optimizer, init).step;
        using (no_grad()) model.Layers[0].Manager.Importance[2] = tensor(-3f);

        var change = model.ManageStates();
        Assert.Equal(1, change.Pruned);
        Assert.Equal(2, change.Allocated);                                          // both layers were saturated
        OptimizerSlots.Remap(optimizer, change.Remaps);

        var parameters = optimizer.parameters().ToList();
        var states = optimizer.state_dict().State.Cast<AdamW.State>().ToList();
        for (var i = 0; i < parameters.Count; i++)
        {
            Assert.Equal(parameters[i].shape, states[i].exp_avg.shape);
            Assert.Equal(parameters[i].shape, states[i].exp_avg_sq.shape);
        }
        var moments = Moments(optimizer, init);
        Assert.Equal([4L, 32L], moments.exp_avg.shape);
        Assert.Equal(stepBefore, moments.step);
        using var kept = tensor(new long[] { 0, 1, 3 });
        TensorAssert.Close(avgBefore.index_select(0, kept), moments.exp_avg.narrow(0, 0, 3), atol: 0, rtol: 0, what: "exp_avg of the kept slots");
        TensorAssert.Close(sqBefore.index_select(0, kept), moments.exp_avg_sq.narrow(0, 0, 3), atol: 0, rtol: 0, what: "exp_avg_sq of the kept slots");
        Assert.Equal(0f, moments.exp_avg_sq.narrow(0, 3, 1).abs().max().item<float>());

        var initAfter = init.detach().clone();
        for (var i = 0; i < 3; i++) Assert.True(double.IsFinite(Step(model, optimizer, tokens)));
        Assert.True(init.detach().sub(initAfter).narrow(0, 3, 1).abs().max().item<float>() > 0, "the new slot's initial state trains");
    }

    [Fact]
    public void WithoutMovingTheMomentsTheNextStepFails()
    {
        // The control for the test above: the remap is what makes the step after a resize possible.
        using var model = NsmTestModels.Create("model.max_states=8", "model.initial_states=4", "model.prune_threshold=0.5");
        model.Compact();
        model.train();
        using var optimizer = Trainer.CreateOptimizer(model, new TrainConfig());
        var tokens = randint(0, NsmTestModels.Vocab, [2, 24]);
        Step(model, optimizer, tokens);
        using (no_grad()) model.Layers[0].Manager.Importance[2] = tensor(-3f);
        model.ManageStates();
        Assert.ThrowsAny<Exception>(() => Step(model, optimizer, tokens));
    }

    [Fact]
    public void TrainingComputesOverTheActiveSlotsAndSavesTheirCounts()
    {
        using var dir = TestConfigs.TempDir();
        var summary = new Trainer(TestConfigs.TinyCopy([.. Adaptive, "train.steps=8"]), dir.Path).Run()!;

        var (_, _, loaded) = Checkpoint.LoadModel(dir.Path);
        using var model = (NsmModel)loaded;
        var slots = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, Checkpoint.SlotsFile)))!.AsObject();
        var counts = model.SlotCounts.Select(c => c.Slots).ToList();
        Assert.Equal(counts, slots.Select(kv => kv.Value!.GetValue<long>()));
        Assert.Contains(counts, c => c != 4);                                         // slots were pruned or allocated
        Assert.Equal(counts, model.NumActiveStates);                                  // every slot held is active
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(counts[i], summary.SlotStatistics![SlotStatisticKeys.ActiveSlots(i)]);
            Assert.Equal(counts[i] * 32 * 4, summary.SlotStatistics[SlotStatisticKeys.SlotStateBytes(i)]);
        }
        // The tensors the layers compute hold the saved slots, not the capacity of 8.
        using var inspection = model.Inspect(randint(0, 8, [1, 12]));
        Assert.Equal(counts, inspection.Layers.Select(l => l.ReadWeights!.shape[^1]));
        Assert.Equal(counts, inspection.Layers.Select(l => l.Importance.shape[0]));

        var logged = File.ReadAllLines(Path.Combine(dir.Path, MetricsLog.FileName)).Select(l => JsonNode.Parse(l)!)
            .Where(l => (string)l["split"]! == "train").Select(l => (long)(double)l[SlotStatisticKeys.ActiveSlots(0)]!).ToList();
        Assert.Equal(counts[0], logged[^1]);
    }

    [Fact]
    public void ResumingAnAdaptiveRunMatchesAnUninterruptedRun()
    {
        using var dir = TestConfigs.TempDir();
        var config = TestConfigs.TinyCopy([.. Adaptive, "train.steps=10"]);
        var full = new Trainer(config, dir.Sub("full"));
        full.Run();

        var run = dir.Sub("resumed");
        // Step 4 ends a log window and is a management point: the checkpoint holds resized slots and moments.
        var resumed = ResumeRuns.InterruptAndResume(config, run, 4);

        Assert.Equal(full.LossHistory.Where(p => p.Step > 4), resumed.LossHistory);
        Assert.Equal(File.ReadAllText(Path.Combine(dir.Sub("full"), Checkpoint.SlotsFile)), File.ReadAllText(Path.Combine(run, Checkpoint.SlotsFile)));
    }

    static double Step(NsmModel model, AdamW optimizer, Tensor tokens)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var logits = model.forward(tokens, null);                                   // (B, N, V)
        var loss = nn.functional.cross_entropy(logits.narrow(1, 0, tokens.shape[1] - 1).reshape(-1, NsmTestModels.Vocab), tokens.narrow(1, 1, tokens.shape[1] - 1).reshape(-1));
        loss.backward();
        optimizer.step();
        return loss.item<float>();
    }

    static AdamW.State Moments(AdamW optimizer, Parameter p)
    {
        var parameters = optimizer.parameters().ToList();
        var index = parameters.FindIndex(q => q.Handle == p.Handle);
        return (AdamW.State)optimizer.state_dict().State[index];
    }
}
