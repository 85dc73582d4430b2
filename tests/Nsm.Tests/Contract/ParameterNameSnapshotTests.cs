using System.Text;
using static TorchSharp.torch;
using Nsm.Core;
using Nsm.Models;
using Nsm.Registry;
using Nsm.Tests.Support;

namespace Nsm.Tests.Contract;

/// <summary>
/// The names and shapes of every preset's parameters and buffers (the state dict a checkpoint
/// holds) and of its saved streaming state must never change: old run folders load by them.
/// </summary>
public sealed class ParameterNameSnapshotTests
{
    public static TheoryData<string> Presets => PresetFixtures.All();

    [Theory]
    [MemberData(nameof(Presets))]
    public void StateDictAndStreamingStateNamesAreUnchanged(string preset)
    {
        using var dir = TestConfigs.TempDir();
        var config = PresetFixtures.Load(preset, dir);
        manual_seed(config.Train.Seed);
        var task = TaskRegistry.Create(config.Task, config.Train.Seed);
        using var model = ModelRegistry.Create(config.Model, task.Spec);
        var text = new StringBuilder();
        text.Append("# ").Append(preset).Append(": model.kind=").Append(config.Model.Kind).Append(", task.name=").Append(config.Task.Name).Append('\n');
        foreach (var (name, tensor) in model.state_dict().OrderBy(kv => kv.Key, StringComparer.Ordinal))
            text.Append("param ").Append(name).Append(' ').Append(Shape(tensor)).Append('\n');
        if (model is IStreamingModel streaming && task.Spec.Output == TaskOutput.PerToken)
        {
            model.eval();
            using var scope = NewDisposeScope();
            using var initial = streaming.InitialState(2);
            Append(text, "state0", initial);
            // After three tokens caches and partial chunks are no longer empty.
            using var input = task.Spec.TokenInputs ? zeros([2, 3], ScalarType.Int64) : zeros([2, 3, task.Spec.InputFeatures]);
            using (no_grad())
            {
                var (_, after) = streaming.Forward(input, initial);
                Append(text, "state3", after);
            }
        }
        ContractSnapshot.Match($"{preset}.names.txt", text.ToString());
    }

    static void Append(StringBuilder text, string label, ModelState state)
    {
        foreach (var (name, tensor) in state.Tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            text.Append(label).Append(' ').Append(name).Append(' ').Append(Shape(tensor)).Append(' ').Append(tensor.dtype).Append('\n');
        text.Append(label).Append(" position ").Append(state.Position).Append('\n');
    }

    static string Shape(Tensor t) => "(" + string.Join(", ", t.shape) + ")";
}
