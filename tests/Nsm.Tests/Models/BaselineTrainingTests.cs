using System.Text.Json;
using Nsm.Tests.Support;
using Nsm.Training;

namespace Nsm.Tests.Models;

public sealed class BaselineTrainingTests : SingleThreadTest
{
    [Theory]
    [MemberData(nameof(BaselineFixtures.Causal), MemberType = typeof(BaselineFixtures))]
    public void TrainerRunsTheBaselineOnTheCopyTaskAndWritesASummary(string kind)
    {
        using var dir = TestConfigs.TempDir();
        var config = TestConfigs.TinyCopy($"model.kind={kind}", "model.d_model=16", "model.state_size=8");
        var summary = new Trainer(config, dir.Path).Run()!;
        Assert.Equal(kind, summary.Model);
        Assert.Equal(6, summary.Steps);
        Assert.True(double.IsFinite(summary.FinalTrainLoss!.Value));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, Trainer.SummaryFile)));
        Assert.Equal(kind, json.RootElement.GetProperty("model").GetString());
        Assert.True(json.RootElement.GetProperty("eval").GetProperty("accuracy").GetDouble() >= 0);
    }
}
