using Nsm.Config;
using Nsm.Core;
using Nsm.Models.Nsm;
using Nsm.Registry;
using Nsm.Tests.Support;
using Nsm.Training;

namespace Nsm.Tests.Models.Nsm;

public sealed class NsmConfigTests
{
    [Theory]
    [InlineData("model.fusion=sum", "'model.fusion'")]
    [InlineData("model.router=hash", "'model.router'")]
    [InlineData("model.propagator=rnn", "'model.propagator'")]
    [InlineData("model.communication=full", "'model.communication'")]
    [InlineData("model.num_states=0", "'model.num_states'")]
    [InlineData("model.router_temperature=0", "'model.router_temperature'")]
    [InlineData("model.router_floor=1", "'model.router_floor'")]
    [InlineData("model.prune_threshold=2", "'model.prune_threshold'")]
    public void InvalidValuesNameTheKey(string setting, string key)
    {
        var e = Assert.Throws<ConfigException>(() => TestConfigs.TinyCopy("model.kind=nsm", setting));
        Assert.Contains(key, e.Message);
    }

    [Theory]
    [InlineData("model.communication=topk,model.communication_top_k=9", "'model.communication_top_k'")]
    [InlineData("model.router_top_k=9", "'model.router_top_k'")]
    [InlineData("model.router=slot,model.router_top_k=2", "'model.router_top_k'")]
    [InlineData("model.router=slot,model.router_floor=0.1", "'model.router_floor'")]
    [InlineData("model.max_states=4", "'model.max_states'")]
    [InlineData("model.router_heads=3", "'model.router_heads'")]
    [InlineData("model.d_model=24,model.num_heads=8", "'model.d_model' / 'model.num_heads'")]
    public void InconsistentSettingsNameTheKey(string settings, string key)
    {
        var e = Assert.Throws<ConfigException>(() => NsmTestModels.Create(NsmTestModels.Split(settings)));
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void SlotCountsFollowNumMaxAndInitialStates()
    {
        Assert.Equal((8, 8), NsmLayer.SlotCounts(NsmTestModels.Config()));
        Assert.Equal((12, 8), NsmLayer.SlotCounts(NsmTestModels.Config("model.max_states=12")));
        Assert.Equal((12, 3), NsmLayer.SlotCounts(NsmTestModels.Config("model.max_states=12", "model.initial_states=3")));
    }

    [Theory]
    [InlineData("nsm-simple")]
    [InlineData("nsm")]
    [InlineData("copy-long-nsm")]
    public void PresetsLoadAndBuild(string preset)
    {
        var config = ConfigLoader.LoadPreset(preset);
        Assert.Equal("nsm", config.Model.Kind);
        var task = TaskRegistry.Create(config.Task, 1);
        using var model = ModelRegistry.Create(config.Model, task.Spec);
        Assert.IsType<NsmModel>(model);
    }

    [Fact]
    public void CopyLongPresetPutsTheCopiedPartOutsideTheLocalWindow()
    {
        var config = ConfigLoader.LoadPreset("copy-long-nsm");
        // The first copied token is needed seq_len + delay positions later; a token sees at most
        // window + chunk_size - 1 positions back without the slots.
        Assert.True(config.Task.SeqLen + config.Task.Delay > config.Model.Nsm.Window + config.Model.Nsm.ChunkSize - 1);
    }

    [Fact]
    public void TrainerRunsTheNsmAndLowersTheLoss()
    {
        using var dir = TestConfigs.TempDir();
        var config = TestConfigs.TinyCopy("model.kind=nsm", "model.num_states=8", "model.chunk_size=4", "model.window=4", "train.steps=12", "train.log_every=4", "train.lr=3e-3");
        var trainer = new Trainer(config, dir.Path);
        var summary = trainer.Run()!;
        Assert.Equal(12, summary.Steps);
        Assert.True(trainer.LossHistory[^1].Loss < trainer.LossHistory[0].Loss, $"loss went from {trainer.LossHistory[0].Loss} to {trainer.LossHistory[^1].Loss}");
    }
}
