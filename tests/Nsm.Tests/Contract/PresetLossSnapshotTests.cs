using System.Globalization;
using System.Text;
using System.Text.Json;
using Nsm.Tests.Support;
using Nsm.Training;

namespace Nsm.Tests.Contract;

/// <summary>
/// 40 training steps of every preset (fixture data where a preset reads files, one thread)
/// log exactly the recorded losses in metrics.jsonl: a refactoring that claims to move code
/// without changing behaviour is checked by this, digit for digit. Slow: about a minute per
/// dozen presets.
/// </summary>
public sealed class PresetLossSnapshotTests
{
    public static TheoryData<string> Presets => PresetFixtures.All();

    [Theory]
    [Trait("Category", "Slow")]
    [MemberData(nameof(Presets))]
    public void FortyStepsLogTheRecordedLosses(string preset)
    {
        using var dir = TestConfigs.TempDir();
        var config = PresetFixtures.Load(preset, dir,
            "train.steps=40", "train.log_every=1", "train.eval_every=0", "train.checkpoint_every=0",
            "train.threads=1", "task.max_eval_examples=8");
        new Trainer(config, dir.Sub("run")).Run();
        var text = new StringBuilder();
        foreach (var line in File.ReadLines(Path.Combine(dir.Sub("run"), MetricsLog.FileName)))
        {
            using var row = JsonDocument.Parse(line);
            var root = row.RootElement;
            if (root.GetProperty("split").GetString() != "train") continue;
            var loss = root.GetProperty("loss").GetDouble();
            text.Append(root.GetProperty("step").GetInt64()).Append(' ').Append(loss.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }
        ContractSnapshot.Match($"{preset}.losses.txt", text.ToString());
    }
}
