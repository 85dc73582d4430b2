using Nsm.Tests.Support;
using Nsm.Training;

namespace Nsm.Tests.Config;

/// <summary>Every task's presets load, and each trains a step with the Transformer, the LSTM and the NSM.</summary>
public sealed class PresetTests
{
    public static readonly TheoryData<string> Tasks = new()
    {
        "selective-copy", "repeat-copy", "associative-recall", "mqar", "listops", "listops-lra", "pathfinder", "fashion-mnist",
        "mnist", "cifar10", "char-lm", "wikitext", "babi", "babi-haystack", "documents", "retrieval",
    };

    [Theory]
    [MemberData(nameof(Tasks))]
    public void EveryModelTrainsOnTheTask(string task)
    {
        foreach (var model in new[] { "transformer", "lstm", "nsm" })
        {
            using var dir = TestConfigs.TempDir();
            var tiny = new[] { "model.d_model=16", "model.num_layers=1", "train.steps=1", "train.batch_size=4", "train.eval_every=0", "train.warmup_steps=0", "task.max_eval_examples=8" };
            var config = PresetFixtures.Load($"{task}-{model}", dir, tiny);
            var summary = new Trainer(config, dir.Sub("run")).Run();
            Assert.NotNull(summary);
            Assert.Equal(model, summary.Model);
            Assert.True(double.IsFinite(summary.Eval.Loss), $"{task}-{model}: eval loss {summary.Eval.Loss}");
        }
    }
}
